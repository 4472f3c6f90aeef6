// Customer pages: "select all" for the handover checkboxes, and htmx swaps of 4xx fragments
// (a refused reveal, a too-short search) inside regions marked data-swap-errors.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches("input[data-select-all]")) return;
  const name = box.getAttribute("data-select-all");
  document.querySelectorAll(`input[type=checkbox][name="${name}"]`).forEach((el) => {
    el.checked = box.checked;
  });
});

document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status >= 400 && status < 500 && event.detail.target.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// A form re-shown with errors: bring the first problem into view (the page URL has no #anchor after a POST).
document.addEventListener("DOMContentLoaded", () => {
  const problem = document.querySelector("main .is-invalid, main [data-scroll-here]");
  if (problem) problem.scrollIntoView({ block: "center", behavior: "instant" });
});
