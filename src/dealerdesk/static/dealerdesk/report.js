// Customer report charts. The figures come from a json_script element (CSP-safe: application/json, not code);
// the tables on the page carry the same figures for screen readers and for printing.
(() => {
  const COLOURS = ["#0b3d5c", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#6c757d", "#8ab17d", "#264653", "#b56576", "#457b9d", "#adb5bd"];

  function draw() {
    const source = document.getElementById("report-data");
    if (!source || typeof window.Chart === "undefined") return;
    const charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const data = charts[canvas.dataset.chart];
      if (!data || !data.labels.length) {
        canvas.closest("div").hidden = true;
        return;
      }
      const type = canvas.dataset.chartType || "bar";
      const percent = canvas.hasAttribute("data-chart-percent");
      const datasets = data.datasets.map((set, i) => ({
        label: set.label,
        data: set.data,
        backgroundColor: type === "doughnut" ? data.labels.map((_, j) => COLOURS[j % COLOURS.length]) : COLOURS[i % COLOURS.length],
        borderWidth: type === "doughnut" ? 1 : 0,
      }));
      const options = { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: type === "doughnut" ? "right" : "top" } } };
      if (type === "bar") {
        options.scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
        if (percent) {
          options.scales.y.max = 100;
          options.scales.y.ticks.callback = (value) => `${value}%`;
        }
      }
      new window.Chart(canvas, { type, data: { labels: data.labels, datasets }, options });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
