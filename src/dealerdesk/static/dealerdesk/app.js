// Small behaviours without inline scripts (the CSP forbids them).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("select[data-autosubmit]") && el.form) el.form.submit();
});
