/* 统计 charts (templates/stats/dashboard.html). Data comes from the json_script block "dashboard-data"; every chart
   has a table of the same numbers beside it, so the page reads without script too. ECharts is vendored. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var screen = document.querySelector(".dash-screen") !== null;
  var font = screen ? 18 : 12;
  var base = { textStyle: { fontFamily: "WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, sans-serif", fontSize: font },
               animation: false, grid: { left: 48, right: 16, top: 40, bottom: 56, containLabel: true } };
  var colors = ["#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#f9a825", "#5d4037", "#455a64"];

  function merge(a, b) { var o = {}, k; for (k in a) { o[k] = a[k]; } for (k in b) { o[k] = b[k]; } return o; }

  var builders = {
    trend: function () {
      return merge(base, {
        color: ["#1565c0", "#2e7d32"], tooltip: { trigger: "axis" }, legend: { top: 0 },
        xAxis: { type: "category", data: data.trend.weeks, axisLabel: { rotate: 45 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: "收集研判", type: "line", data: data.trend.collected },
                 { name: "化解", type: "line", data: data.trend.resolved }]
      });
    },
    division: function (el) {
      // Horizontal bars: the names stay readable at 375 px and on the projector, however many divisions.
      el.style.height = Math.max(280, 26 * data.division.names.length + 80) + "px";
      return merge(base, {
        color: ["#1565c0", "#2e7d32"], tooltip: { trigger: "axis" }, legend: { top: 0 },
        grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
        yAxis: { type: "category", data: data.division.names, inverse: true, axisLabel: { interval: 0 } },
        xAxis: { type: "value", minInterval: 1 },
        series: [{ name: "收集研判", type: "bar", data: data.division.collected },
                 { name: "化解", type: "bar", data: data.division.resolved }]
      });
    },
    category: function () {
      return merge(base, {
        color: colors, tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
        series: [{ type: "pie", radius: ["35%", "65%"], data: data.category, label: { formatter: "{b} {c}" } }]
      });
    },
    source: function () {
      var names = data.source.map(function (r) { return r.name; });
      return merge(base, {
        color: ["#b71c1c"], tooltip: { trigger: "axis" },
        xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: names, inverse: true },
        series: [{ name: "收集研判", type: "bar", data: data.source.map(function (r) { return r.value; }) }]
      });
    }
  };

  var charts = [];
  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (el) {
    var build = builders[el.getAttribute("data-chart")];
    if (!build) { return; }
    var option = build(el);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    el.setAttribute("data-rendered", "1");
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
}());
