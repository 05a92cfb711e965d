/* Gonghui: small behaviours shared by every page. No inline scripts (CSP script-src 'self'). */
(function () {
  "use strict";

  // htmx does not swap error responses: say so beside the control that asked, in the page's language.
  document.addEventListener("htmx:responseError", function (event) {
    var source = event.detail.elt;
    var host = (source && source.closest("form")) || source;
    if (!host || !host.parentNode) return;
    var old = host.parentNode.querySelector(".gh-htmx-error");
    if (old) old.remove();
    var note = document.createElement("div");
    note.className = "gh-htmx-error alert alert-danger py-1 px-2 small mb-0 mt-1";
    note.setAttribute("role", "alert");
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    var message = document.body.dataset.msgHtmxError || "The request failed.";
    note.textContent = message + (status ? " (" + status + ")" : "");
    host.insertAdjacentElement("afterend", note);
  });
})();
