// Meeting pages. Everything works without this script; it only tidies the review forms and adds confirmations.
//  * review forms: show only the fieldset(s) for the chosen decision ([data-decisions] lists the decision codes);
//  * forms with [data-confirm] ask before submitting (闭会);
//  * [data-print] buttons print the page (会议纪要).
(function () {
  "use strict";

  function syncDecision(form) {
    var select = form.querySelector('select[name="decision"]');
    if (!select) return;
    var value = select.value;
    Array.prototype.forEach.call(form.querySelectorAll("[data-decisions]"), function (fs) {
      var codes = fs.getAttribute("data-decisions").split(" ");
      fs.hidden = codes.indexOf(value) === -1;
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-review-form]"), function (form) {
    syncDecision(form);
    form.addEventListener("change", function (ev) {
      if (ev.target && ev.target.name === "decision") syncDecision(form);
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
