/* Check identifiers as they are typed, with the rules of gonghui.core.ids (the server checks again):
 *  - resident ID number (GB 11643): weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 → "10X98765432";
 *  - unified social credit code (GB 32100): 31-character alphabet, weights 3^i mod 31, check = 31 - sum mod 31;
 *  - mainland mobile: 11 digits starting 13–19.
 * Messages come from the input's data-msg-* attributes, so they are translated by Django. */
(function () {
  "use strict";

  var ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var ID_CHECK = "10X98765432";
  var PROVINCES = "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65".split(" ");
  var CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  var CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

  function normalise(raw) {
    return (raw || "").normalize("NFKC").replace(/\s+/g, "").toUpperCase();
  }

  function idCheckChar(first17) {
    var total = 0;
    for (var i = 0; i < 17; i++) total += Number(first17[i]) * ID_WEIGHTS[i];
    return ID_CHECK[total % 11];
  }

  // Returns [messageKey, params] for the first problem, or ["ok"]; null while still typing.
  function checkId(raw, final) {
    var n = normalise(raw);
    if (!n) return null;
    if (n.length < 18 && !final) return null;
    if (n.length === 15 && /^\d+$/.test(n)) return ["legacy"];
    if (n.length !== 18) return ["length", { count: n.length }];
    if (!/^\d{17}[\dX]$/.test(n)) return ["chars"];
    if (PROVINCES.indexOf(n.slice(0, 2)) < 0) return ["region"];
    var y = Number(n.slice(6, 10)), m = Number(n.slice(10, 12)), d = Number(n.slice(12, 14));
    var birth = new Date(Date.UTC(y, m - 1, d));
    if (birth.getUTCFullYear() !== y || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d) return ["birth"];
    if (y < 1900 || birth.getTime() > Date.now()) return ["impossible"];
    if (n[17] !== idCheckChar(n.slice(0, 17))) return ["check"];
    return ["ok"];
  }

  function checkCredit(raw, final) {
    var n = normalise(raw);
    if (!n) return null;
    if (n.length < 18 && !final) return null;
    if (n.length !== 18) return ["length", { count: n.length }];
    var bad = [];
    for (var i = 0; i < n.length; i++) {
      if (CREDIT_CHARS.indexOf(n[i]) < 0 && bad.indexOf(n[i]) < 0) bad.push(n[i]);
    }
    if (bad.length) return ["chars", { chars: bad.sort().join("、") }];
    if (!/^\d{6}$/.test(n.slice(2, 8))) return ["region"];
    var total = 0;
    for (var j = 0; j < 17; j++) total += CREDIT_CHARS.indexOf(n[j]) * CREDIT_WEIGHTS[j];
    if (n[17] !== CREDIT_CHARS[(31 - (total % 31)) % 31]) return ["check"];
    return ["ok"];
  }

  function checkPhone(raw, final) {
    var n = normalise(raw).replace(/-/g, "");
    if (!n) return null;
    if (n.indexOf("+86") === 0) n = n.slice(3);
    else if (n.indexOf("0086") === 0) n = n.slice(4);
    if (n.length < 11 && !final) return null;
    return /^1[3-9]\d{9}$/.test(n) ? ["ok"] : ["invalid"];
  }

  function message(input, key, params) {
    var attr = "msg" + key.charAt(0).toUpperCase() + key.slice(1);
    var text = input.dataset[attr] || "";
    Object.keys(params || {}).forEach(function (name) {
      text = text.replace(new RegExp("%\\(" + name + "\\)[ds]", "g"), String(params[name]));
    });
    return text;
  }

  function show(input, result) {
    var feedback = document.getElementById(input.id + "-error");
    input.classList.remove("is-invalid", "is-valid");
    input.removeAttribute("aria-invalid");
    if (!feedback) return;
    feedback.classList.remove("d-block", "valid-feedback");
    feedback.classList.add("invalid-feedback");
    feedback.textContent = "";
    if (!result) return;
    if (result[0] === "ok") {
      input.classList.add("is-valid");
      if (input.dataset.msgOk) {
        feedback.classList.remove("invalid-feedback");
        feedback.classList.add("valid-feedback", "d-block");
        feedback.textContent = input.dataset.msgOk;
      }
      return;
    }
    input.classList.add("is-invalid");
    input.setAttribute("aria-invalid", "true");
    feedback.textContent = message(input, result[0], result[1]);
  }

  function wire(selector, check) {
    document.querySelectorAll(selector).forEach(function (input) {
      input.addEventListener("input", function () { show(input, check(input.value, false)); });
      input.addEventListener("blur", function () { show(input, check(input.value, true)); });
    });
  }

  wire("input[data-id-number]", checkId);
  wire("input[data-credit-code]", checkCredit);
  wire("input[data-phone]", checkPhone);

  // For tests and the console: the same check characters the server computes.
  window.gonghuiIds = { idCheckChar: idCheckChar, checkId: checkId, checkCredit: checkCredit };
})();
