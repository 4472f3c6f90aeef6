// Showroom pages: the traffic report's charts and "compare the ticked trims" on the needs page.
// No inline scripts (CSP): the figures come from a json_script element (application/json, not code).
(() => {
  const COLOURS = ["#0b3d5c", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#6c757d"];

  function drawCharts() {
    const source = document.getElementById("showroom-chart-data");
    if (!source || typeof window.Chart === "undefined") return;
    const charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const data = charts[canvas.dataset.chart];
      if (!data || !data.labels.length) {
        canvas.closest("div").hidden = true;
        return;
      }
      const datasets = data.datasets.map((set, i) => ({
        label: set.label,
        data: set.data,
        backgroundColor: COLOURS[i % COLOURS.length],
        borderWidth: 0,
      }));
      new window.Chart(canvas, {
        type: canvas.dataset.chartType || "bar",
        data: { labels: data.labels, datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: datasets.length > 1 } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
    });
  }

  function compareTicked(event) {
    const button = event.target.closest("[data-compare-selected]");
    if (!button) return;
    const form = button.closest("form[data-compare-url]");
    if (!form) return;
    const ticked = Array.from(form.querySelectorAll("input[name=trims]:checked")).map((box) => box.value);
    const url = new URL(form.dataset.compareUrl, window.location.origin);
    ticked.slice(0, 4).forEach((id) => url.searchParams.append("trims", id));
    window.location.assign(url.toString());
  }

  document.addEventListener("click", compareTicked);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawCharts);
  else drawCharts();
})();
