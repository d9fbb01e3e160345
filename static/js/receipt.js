// The receipt (templates/cases/receipt.html): [data-print] buttons print the page. No inline script (CSP).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
