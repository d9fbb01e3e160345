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

// 性别 and 出生日期 from an 18-digit ID number (the form checks it again: cases/forms/disputes.py, GB 11643).
// A valid number shows what it states; an empty 性别 is filled in, a chosen one that contradicts it is flagged.
(function () {
  "use strict";
  var list = document.getElementById("parties");
  if (!list) return;
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";

  function facts(value) {
    value = (value || "").trim().toUpperCase();
    if (!/^[1-9]\d{16}[\dX]$/.test(value)) return null;
    var y = +value.slice(6, 10), m = +value.slice(10, 12), d = +value.slice(12, 14);
    var date = new Date(y, m - 1, d);
    if (date.getFullYear() !== y || date.getMonth() !== m - 1 || date.getDate() !== d) return null;
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += (+value[i]) * WEIGHTS[i];
    if (CHECK[sum % 11] !== value[17]) return null;
    return { sex: (+value[16]) % 2 ? "M" : "F", label: (+value[16]) % 2 ? "男" : "女", y: y, m: m, d: d };
  }

  function update(fieldset) {
    var id = fieldset.querySelector('input[name$="-id_number"]');
    var sex = fieldset.querySelector('select[name$="-sex"]');
    var out = fieldset.querySelector("[data-id-facts]");
    if (!id || !sex || !out) return;
    var f = facts(id.value);
    if (!f) { out.hidden = true; out.textContent = ""; return; }
    if (!sex.value) sex.value = f.sex;
    var text = "据身份证号：" + f.label + "，出生日期 " + f.y + "年" + f.m + "月" + f.d + "日";
    if (sex.value !== f.sex) text += "（与所选性别不符）";
    out.textContent = text;
    out.classList.toggle("error", sex.value !== f.sex);
    out.hidden = false;
  }

  function onChange(ev) {
    var name = ev.target.name || "";
    if (!/-(id_number|sex)$/.test(name)) return;
    var fieldset = ev.target.closest("[data-party]");
    if (fieldset) update(fieldset);
  }
  list.addEventListener("input", onChange);
  list.addEventListener("change", onChange);
})();
