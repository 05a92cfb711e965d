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

  // Category labels are never thinned out (ECharts' "auto" interval drops those that collide):
  // every label is drawn. Bars whose labels do not fit side by side turn horizontal, a time axis
  // too dense for its labels tilts them, and a horizontal bar's long label wraps.
  var SIZE = 12; // ECharts' axis label font size
  var GAP = 8; // the least room between two neighbouring labels
  var measure = document.createElement("canvas").getContext("2d");

  function textWidth(text) {
    measure.font = SIZE + "px " + FONT;
    return measure.measureText(String(text)).width;
  }

  // The room each category gets along a horizontal axis of a chart drawn in ``el``.
  function slot(spec, el) {
    var most = spec.values.reduce(function (m, v) { return Math.max(m, Number(v)); }, 0);
    var valueAxis = textWidth(fmt(most)) + GAP * 2;
    return (el.clientWidth - 8 - 48 - valueAxis) / Math.max(spec.labels.length, 1);
  }

  function widest(spec) {
    return spec.labels.reduce(function (m, label) { return Math.max(m, textWidth(label)); }, 0);
  }

  // ``label`` in lines of about equal length, none wider than ``most`` pixels (CJK text breaks
  // between any two characters).
  function wrap(label, most) {
    var chars = Array.from(String(label));
    var lines = Math.ceil(textWidth(label) / most);
    if (lines < 2) return label;
    var per = Math.ceil(chars.length / lines);
    var out = [];
    for (var i = 0; i < chars.length; i += per) out.push(chars.slice(i, i + per).join(""));
    return out.join("\n");
  }

  function layout(spec, el) {
    if (spec.kind !== "bar" && spec.kind !== "line") return { kind: spec.kind, rotate: 0, room: 0 };
    var room = slot(spec, el);
    var wide = widest(spec);
    if (wide + GAP <= room) return { kind: spec.kind, rotate: 0, room: room };
    // Short labels (years, numbers) tilt, upright when even a slant would collide; words turn the
    // bars horizontal, where each label has a line of its own.
    if (spec.kind === "bar" && wide > SIZE * 3.5) return { kind: "barh", rotate: 0, room: room };
    return { kind: spec.kind, rotate: room >= SIZE * 1.5 + GAP ? 45 : 90, room: room };
  }

  function option(spec, el) {
    var shape = layout(spec, el);
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
    var category = { type: "category", data: spec.labels,
                     axisLabel: { interval: 0, rotate: shape.rotate, hideOverlap: false } };
    var value = { type: "value", name: spec.unit, minInterval: 1,
                  axisLabel: { formatter: function (v) { return fmt(v); } } };
    base.grid = { left: 8, right: 48, top: 36, bottom: 8, containLabel: true };
    if (shape.kind === "barh") {
      category.data = spec.labels.slice().reverse();
      // A long label wraps within two fifths of the card rather than squeezing the bars.
      var most = Math.max(SIZE * 6, Math.floor(el.clientWidth * 0.4));
      category.axisLabel.formatter = function (label) { return wrap(label, most); };
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
    if (shape.kind === "line") {
      base.series = [{ name: spec.series, type: "line", data: spec.values, smooth: false, symbolSize: 6,
                       areaStyle: { opacity: 0.08 }, label: Object.assign({ position: "top" }, label) }];
      if (spec.values.length > 12) base.series[0].label.show = false;
    } else {
      base.series = [{ name: spec.series, type: "bar", data: spec.values, barMaxWidth: 36,
                       label: Object.assign({ position: "top" }, label) }];
      // Figures over bars too narrow for them would run into each other: the tooltip and the
      // table beneath give them.
      var most = spec.values.reduce(function (m, v) { return Math.max(m, textWidth(fmt(v))); }, 0);
      if (most + 2 > shape.room) base.series[0].label.show = false;
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
    chart.setOption(options(spec, el));
    el.dataset.rendered = "true";
    charts.push({ chart: chart, spec: spec, el: el });
  }

  function options(spec, el) {
    var opts = option(spec, el);
    if (still) opts.animation = false;
    return opts;
  }

  function drawAll(root) {
    root.querySelectorAll("[data-chart]:not([data-rendered])").forEach(draw);
  }

  drawAll(document);
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    // The layout depends on the card's width: work it out again, then redraw.
    pending = setTimeout(function () {
      charts.forEach(function (c) {
        c.chart.resize();
        c.chart.setOption(options(c.spec, c.el), true);
      });
    }, 150);
  });
})();
