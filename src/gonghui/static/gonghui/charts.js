/* Gonghui charts: one ECharts theme for every chart, drawn from JSON that the page carries
 * in <script type="application/json"> (Django's json_script). Each container names its data:
 * <div class="gh-chart" data-chart="ID-of-json">. Spec: {kind, title, unit, series, labels, values}. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;

  var FONT = '-apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", ' +
    '"Noto Sans SC", "Source Han Sans SC", system-ui, sans-serif';
  var RED = "#c8102e";
  var INK = "#343a40";
  var MUTED = "#6c757d";
  var LINE = "#e9ecef";

  echarts.registerTheme("gonghui", {
    color: [RED, "#2f5d8a", "#d98c1f", "#4f8a5b", "#7a5195", "#5c6b73", "#e26d5a", "#3c9fb0", "#a0522d"],
    backgroundColor: "transparent",
    textStyle: { fontFamily: FONT, color: INK },
    categoryAxis: {
      axisLine: { lineStyle: { color: "#ced4da" } },
      axisTick: { show: false },
      axisLabel: { color: INK },
      splitLine: { show: false }
    },
    valueAxis: {
      axisLine: { show: false },
      axisLabel: { color: MUTED },
      splitLine: { lineStyle: { color: LINE } },
      nameTextStyle: { color: MUTED }
    },
    legend: { textStyle: { color: INK } },
    tooltip: { backgroundColor: "#fff", borderColor: "#dee2e6", textStyle: { color: INK } }
  });

  function fmt(n) {
    return Number(n).toLocaleString("en-US");
  }

  function tooltip(spec) {
    return {
      trigger: spec.kind === "pie" ? "item" : "axis",
      axisPointer: { type: "shadow" },
      valueFormatter: function (v) { return fmt(v) + " " + spec.unit; }
    };
  }

  function option(spec) {
    var base = { animationDuration: 400, tooltip: tooltip(spec) };
    var label = { show: true, color: INK, formatter: function (p) { return fmt(p.value); } };
    if (spec.kind === "pie") {
      // Shares inside the ring, counts in the legend: nothing can be cut off in a narrow card.
      base.legend = { bottom: 0, icon: "circle", formatter: function (name) {
        var i = spec.labels.indexOf(name);
        return name + "  " + fmt(spec.values[i]);
      } };
      base.series = [{
        name: spec.series, type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"],
        label: { position: "inside", color: "#fff", fontWeight: 600,
                 formatter: function (p) { return p.value ? Math.round(p.percent) + "%" : ""; } },
        data: spec.labels.map(function (name, i) { return { name: name, value: spec.values[i] }; })
      }];
      return base;
    }
    var category = { type: "category", data: spec.labels };
    var value = { type: "value", name: spec.unit, minInterval: 1,
                  axisLabel: { formatter: function (v) { return fmt(v); } } };
    base.grid = { left: 8, right: 48, top: 36, bottom: 8, containLabel: true };
    if (spec.kind === "barh") {
      category.data = spec.labels.slice().reverse();
      base.xAxis = value;
      base.yAxis = category;
      base.series = [{ name: spec.series, type: "bar", data: spec.values.slice().reverse(), barMaxWidth: 18,
                       label: Object.assign({ position: "right" }, label) }];
      // Each bar carries its count and the card its unit: the value axis's own labels only
      // crowd a narrow card (a city's "10,00020,000…").
      value.axisLabel = { show: false };
      value.name = "";
      return base;
    }
    base.xAxis = category;
    base.yAxis = value;
    if (spec.kind === "line") {
      base.series = [{ name: spec.series, type: "line", data: spec.values, smooth: false, symbolSize: 6,
                       areaStyle: { opacity: 0.08 }, label: Object.assign({ position: "top" }, label) }];
      if (spec.values.length > 12) base.series[0].label.show = false;
    } else {
      base.series = [{ name: spec.series, type: "bar", data: spec.values, barMaxWidth: 36,
                       label: Object.assign({ position: "top" }, label) }];
    }
    return base;
  }

  var charts = [];
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function draw(el) {
    var source = document.getElementById(el.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var chart = echarts.init(el, "gonghui", { renderer: "svg" });
    var opts = option(spec);
    if (still) opts.animation = false;
    chart.setOption(opts);
    el.dataset.rendered = "true";
    charts.push(chart);
  }

  function drawAll(root) {
    root.querySelectorAll("[data-chart]:not([data-rendered])").forEach(draw);
  }

  drawAll(document);
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });
})();
