// Error summary (templates/_error_summary.html) and other boxes marked data-focus-on-load: after a submit that
// came back, move the focus to the box so the first thing read (and seen, on a phone) is what to fix.
// Its links jump to a field; this also puts the caret in it. Without this script the links still jump.
(function () {
  "use strict";
  var box = document.querySelector("[data-focus-on-load]");
  if (box) {
    box.focus();
    box.scrollIntoView({ block: "start" });
  }
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest ? ev.target.closest(".error-summary a[href^='#']") : null;
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    ev.preventDefault();
    var field = target.closest(".field") || target;
    field.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });
})();
