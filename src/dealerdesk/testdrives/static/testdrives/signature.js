// The customer's drawn signature: a canvas that writes a PNG data URL into the form's hidden input on submit.
// Loaded as a static file (the CSP forbids inline scripts).
(function () {
  function setUp(canvas) {
    const form = canvas.closest("form");
    const input = form && form.querySelector("input[name=signature]");
    if (!input) return;
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#111";
    let drawing = false;
    let drawn = false;
    function point(event) {
      const box = canvas.getBoundingClientRect();
      return [
        ((event.clientX - box.left) * canvas.width) / box.width,
        ((event.clientY - box.top) * canvas.height) / box.height,
      ];
    }
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      const [x, y] = point(event);
      ctx.beginPath();
      ctx.moveTo(x, y);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      const [x, y] = point(event);
      ctx.lineTo(x, y);
      ctx.stroke();
      drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach((name) =>
      canvas.addEventListener(name, () => (drawing = false))
    );
    const clear = form.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", () => {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        input.value = "";
      });
    }
    form.addEventListener("submit", () => {
      input.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("canvas[data-signature-pad]").forEach(setUp);
  });
})();
