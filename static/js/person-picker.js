// A filter box above every <select data-picker> (人员库 pickers: 包案领导, 责任人, 三包负责人, 参会人员).
// Typing keeps only the options whose text contains what was typed (name, unit or post); the chosen option always
// stays. Without JavaScript the select works as it is.
(function () {
  "use strict";
  function attach(select) {
    var all = Array.prototype.slice.call(select.options).map(function (o) {
      return { value: o.value, text: o.text, placeholder: o.value === "" };
    });
    var box = document.createElement("input");
    box.type = "search";
    box.className = "person-filter";
    box.setAttribute("placeholder", "输入姓名、单位或职务筛选");
    box.setAttribute("aria-label", "筛选" + (select.labels && select.labels[0] ? select.labels[0].textContent : "人员"));
    box.setAttribute("autocomplete", "off");
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var q = box.value.trim();
      var chosen = select.value;
      while (select.options.length) { select.remove(0); }
      var shown = 0;
      all.forEach(function (o) {
        if (o.placeholder || o.value === chosen || q === "" || o.text.indexOf(q) !== -1) {
          select.add(new Option(o.text, o.value, false, o.value === chosen));
          if (!o.placeholder) { shown += 1; }
        }
      });
      if (select.options[0] && select.options[0].value === "") {
        select.options[0].text = q && shown === 0 ? "没有符合的人员" : "请选择";
      }
    });
  }
  document.querySelectorAll("select[data-picker]").forEach(attach);
})();
