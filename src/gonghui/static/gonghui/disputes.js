/* Labour-dispute pages (staff and member): claim lines that can be added and removed, the claimed
 * total as lines are typed, attachments checked for size and type before they are sent, and the
 * print button of the agreement. The server checks everything again; without JavaScript the form
 * shows a fixed number of claim lines and still works. No inline scripts (CSP script-src 'self'). */
(function () {
  "use strict";

  // --- claim lines (a Django formset: prefix-TOTAL_FORMS, one <template> for a new line) ---------
  function wireClaims(box) {
    var prefix = box.dataset.formsetPrefix;
    var total = box.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var max = box.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var list = box.querySelector("[data-claim-lines]");
    var template = box.querySelector("template[data-claim-template]");
    var add = box.querySelector("[data-claim-add]");
    var sum = box.querySelector("[data-claim-sum]");
    if (!total || !list || !template) return;

    function amounts() {
      var cents = 0;
      list.querySelectorAll("[data-claim-line]").forEach(function (line) {
        var del = line.querySelector('input[name$="-DELETE"]');
        if (del && del.checked) return;
        var input = line.querySelector("input[data-claim-amount]");
        if (!input) return;
        var text = (input.value || "").replace(/[,\s，元]/g, "");
        if (/^\d+(\.\d{1,2})?$/.test(text)) {
          var parts = text.split(".");
          cents += Number(parts[0]) * 100 + Number(((parts[1] || "") + "00").slice(0, 2));
        }
      });
      return cents;
    }

    function showSum() {
      if (!sum) return;
      var cents = amounts();
      var yuan = Math.floor(cents / 100).toLocaleString("en-US") + "." + String(cents % 100).padStart(2, "0");
      sum.textContent = yuan;
    }

    function refreshButtons() {
      if (add && max) add.disabled = Number(total.value) >= Number(max.value);
    }

    if (add) {
      add.hidden = false;
      add.addEventListener("click", function () {
        var index = Number(total.value);
        var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
        list.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        refreshButtons();
        var first = list.lastElementChild && list.lastElementChild.querySelector("select, input");
        if (first) first.focus();
      });
    }
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-claim-remove]");
      if (!button) return;
      var line = button.closest("[data-claim-line]");
      var del = line.querySelector('input[name$="-DELETE"]');
      if (del) {
        del.checked = true;
        line.hidden = true;
      }
      showSum();
    });
    list.addEventListener("input", showSum);
    showSum();
    refreshButtons();
  }

  document.querySelectorAll("[data-formset-prefix]").forEach(wireClaims);

  // --- attachments: size and type before upload (same limits as the server, from data-*) -------
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var limit = Number(input.dataset.maxBytes);
      var types = (input.dataset.types || "").split(",");
      var feedback = document.getElementById(input.id + "-error");
      var problems = [];
      Array.prototype.forEach.call(input.files || [], function (file) {
        var dot = file.name.lastIndexOf(".");
        var suffix = dot >= 0 ? file.name.slice(dot + 1).toLowerCase() : "";
        if (types.indexOf(suffix) < 0) {
          problems.push((input.dataset.msgType || "").replace("%(name)s", file.name));
        } else if (file.size > limit) {
          problems.push((input.dataset.msgSize || "").replace("%(name)s", file.name));
        }
      });
      var max = Number(input.dataset.maxFiles || 0);
      if (max && input.files && input.files.length > max) problems.push(input.dataset.msgCount || "");
      input.classList.toggle("is-invalid", problems.length > 0);
      if (problems.length) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
      if (feedback) {
        feedback.textContent = problems.join(" ");
        feedback.classList.toggle("d-block", problems.length > 0);
      }
    });
  });

  // --- print the agreement ------------------------------------------------------------------------
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // --- a choice that shows its own fields (e.g. triage: a room, or a hand-on with a reason) --------
  document.querySelectorAll("[data-reveal-by]").forEach(function (block) {
    var name = block.dataset.revealBy;
    var wanted = (block.dataset.revealWhen || "").split(",");
    var inputs = document.querySelectorAll('[name="' + name + '"]');
    function update() {
      var value = "";
      inputs.forEach(function (input) {
        if (input.type === "radio" ? input.checked : true) value = input.value;
      });
      block.hidden = wanted.indexOf(value) < 0;
    }
    inputs.forEach(function (input) { input.addEventListener("change", update); });
    update();
  });
})();
