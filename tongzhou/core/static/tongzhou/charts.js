// Every [data-chart] element draws the chart whose JSON (core/charts.py) sits in the
// <script type="application/json"> it names: axes with units, a legend, a tooltip with
// the figures to the stated decimals. The table beside each chart keeps the numbers.
(function () {
  if (!window.echarts) return;
  var palette = ["#0b5cad", "#2e9e5b", "#d98a00", "#8e44ad", "#c0392b", "#16a085"];

  function formatter(decimals, unit) {
    return function (value) {
      if (value === null || value === undefined) return "—";
      return Number(value).toLocaleString(document.documentElement.lang || "zh-Hans", {
        minimumFractionDigits: decimals, maximumFractionDigits: decimals
      }) + (unit ? " " + unit : "");
    };
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var units = spec.units || [""];
    var decimals = spec.decimals || [0];
    var axes = units.map(function (unit, i) {
      return {
        type: "value", name: unit, position: i === 0 ? "left" : "right",
        splitLine: { show: i === 0 },
        axisLabel: { formatter: formatter(0, "") }
      };
    });
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      color: palette,
      textStyle: { fontSize: 14 },
      grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
      legend: { top: 0, type: "scroll" },
      tooltip: {
        trigger: "axis",
        valueFormatter: undefined,
        formatter: function (points) {
          var lines = [points[0].axisValueLabel];
          points.forEach(function (p) {
            var s = spec.series[p.seriesIndex];
            var axis = s.axis || 0;
            lines.push(p.marker + s.name + "：" + formatter(decimals[axis] || 0, units[axis])(p.value));
          });
          return lines.join("<br>");
        }
      },
      xAxis: { type: "category", data: spec.categories, axisLabel: { hideOverlap: true } },
      yAxis: axes,
      series: spec.series.map(function (s) {
        return {
          name: s.name, type: spec.kind, data: s.data, yAxisIndex: s.axis || 0,
          stack: spec.stacked ? "total" : undefined, smooth: false,
          emphasis: { focus: "series" }
        };
      })
    });
    element.setAttribute("data-drawn", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
})();
