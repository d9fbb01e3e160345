// 人民调解卷宗: the print button of the document pages, and the agreement form's fields that only a written
// agreement (履行方式、期限、主要事实) or a partial one (未达成事项) needs. Without this script every field shows.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    if (ev.target.closest && ev.target.closest("[data-print]")) window.print();
  });
  var form = document.querySelector("form[data-step='agreement']");
  if (!form) return;
  var WRITTEN_ONLY = ["facts", "performance_manner", "performance_deadline"];
  var PARTIAL_ONLY = ["remaining_issues", "remaining_route"];
  function show(names, on) {
    names.forEach(function (name) {
      var box = form.querySelector("[data-field='" + name + "']");
      if (box && !box.querySelector(".error")) box.classList.toggle("is-hidden", !on);
    });
  }
  function update() {
    var checked = form.querySelector("input[name='form']:checked");
    show(WRITTEN_ONLY, !checked || checked.value === "written");
    var partial = form.querySelector("input[name='partial']");
    show(PARTIAL_ONLY, partial && partial.checked);
  }
  form.addEventListener("change", update);
  update();
})();
