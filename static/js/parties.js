// Party rows on the dispute form: add a row from the <template>, remove a row by ticking its DELETE box.
// The form works without this script (the "增加当事人" button posts back, the checkbox deletes).
(function () {
  "use strict";
  var form = document.getElementById("dispute-form");
  if (!form) return;
  var list = document.getElementById("parties");
  var tpl = document.getElementById("party-template");
  var total = form.querySelector('input[name="parties-TOTAL_FORMS"]');
  var add = document.getElementById("add-party");

  function wireRemove(fieldset) {
    var box = fieldset.querySelector('input[type="checkbox"][name$="-DELETE"]');
    if (!box || fieldset.querySelector(".remove-party")) return;
    box.parentNode.hidden = true;
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "link remove-party";
    btn.textContent = "删除此当事人";
    btn.addEventListener("click", function () {
      box.checked = true;
      fieldset.hidden = true;
    });
    fieldset.appendChild(btn);
  }

  Array.prototype.forEach.call(list.querySelectorAll("[data-party]"), wireRemove);
  add.addEventListener("click", function (ev) {
    ev.preventDefault();
    var index = parseInt(total.value, 10);
    var html = tpl.innerHTML.replace(/__prefix__/g, String(index));
    var wrap = document.createElement("div");
    wrap.innerHTML = html.trim();
    var fieldset = wrap.firstElementChild;
    list.appendChild(fieldset);
    total.value = String(index + 1);
    wireRemove(fieldset);
    var name = fieldset.querySelector('input[name$="-name"]');
    if (name) name.focus();
  });
})();
