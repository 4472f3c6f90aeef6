// Offer builder: a promotion ticked by hand switches from "best combination" to "my choice"; a new trim or the
// "use the best combination" button switches back. Runs in the capture phase, before htmx reads the form.
document.addEventListener(
  "change",
  (event) => {
    const el = event.target;
    const form = el.closest("#offer-builder");
    if (!form) return;
    const choice = form.querySelector("#promotion-choice");
    if (!choice) return;
    if (el.name === "promotions") choice.value = "manual";
    if (el.name === "trim") choice.value = "best";
  },
  true,
);

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-use-best]");
  if (!button) return;
  const form = button.closest("#offer-builder");
  const choice = form && form.querySelector("#promotion-choice");
  if (!choice) return;
  choice.value = "best";
  form.dispatchEvent(new Event("change", { bubbles: true }));
});

// Errors (400) of the live preview are shown in place, like a success.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status >= 400 && status < 500 && event.detail.target.id === "offer-preview") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
