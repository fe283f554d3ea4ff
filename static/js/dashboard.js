// 数据看板 (templates/staff/dashboard.html), without inline scripts:
// - draws each <canvas data-chart> with Chart.js (static/vendor/chart.js) from the numbers
//   in its data-chart-values attribute; the table under each chart carries the same
//   numbers, so a page without this script (or without a canvas) loses nothing;
// - a district administrator who picks another community leaves the grid choice out, since
//   the grids listed belong to the community shown.
(() => {
  const RED = "#b3261e";
  const BLUE = "#0b57d0";
  const GREEN = "#1b6e20";
  const GREY = "#6b6b6b";
  const INK = "#1f1f1f";

  // One look per chart: how it is drawn and in which colours.
  const LOOKS = {
    series: { horizontal: false, colours: [RED, BLUE], legend: true },
    flows: { horizontal: false, colours: [[RED, BLUE, GREY]] },
    coverage: { horizontal: true, colours: [[RED, GREEN]] },
    participation: { horizontal: true, colours: [[RED, BLUE]], max: 100, suffix: "%" },
    approvals: { horizontal: true, colours: [[BLUE, GREY]] },
    activities: { horizontal: true, colours: [RED] },
    shops: { horizontal: true, colours: [BLUE] },
  };

  const leaveGridOutOnCommunityChange = () => {
    const community = document.querySelector("[data-community-select]");
    const grid = document.querySelector("[data-grid-select]");
    if (!community || !grid) return;
    const chosen = community.value;
    community.addEventListener("change", () => {
      grid.disabled = community.value !== chosen;
    });
  };

  const draw = (canvas) => {
    const look = LOOKS[canvas.dataset.chart];
    let values;
    try {
      values = JSON.parse(canvas.dataset.chartValues);
    } catch (error) {
      return null;
    }
    if (!look || !values) return null;
    const datasets = values.datasets.map((set, index) => ({
      label: set.label,
      data: set.data.map((value) => (value === null ? null : Number(value))),
      backgroundColor: look.colours[index] || look.colours[0],
      borderWidth: 0,
      maxBarThickness: 48,
    }));
    const valueAxis = {
      beginAtZero: true,
      ticks: { precision: 0, color: INK, callback: (value) => `${value}${look.suffix || ""}` },
      grid: { color: "#e6dccd" },
    };
    if (look.max) valueAxis.max = look.max;
    const labelAxis = { ticks: { color: INK, autoSkip: !look.horizontal }, grid: { display: false } };
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: values.labels, datasets },
      options: {
        indexAxis: look.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: Boolean(look.legend), labels: { color: INK } },
          tooltip: { enabled: true },
        },
        scales: look.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
      },
    });
  };

  const start = () => {
    leaveGridOutOnCommunityChange();
    if (!window.Chart) return;
    const Chart = window.Chart;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 15;
    Chart.defaults.color = INK;
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const chart = draw(canvas);
      if (chart) canvas.dataset.drawn = "1";
    });
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
