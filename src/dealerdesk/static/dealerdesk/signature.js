// A drawn signature (contracts, test-drive agreements, delivery confirmations): strokes from mouse, pen or finger on
// a <canvas data-signature-pad>; on submit the PNG goes, as a data URL, into the hidden input named by the
// attribute's value (an element id) or else the form's input[name=signature] / input[name=signature_png].
// A [data-signature-clear] button in the form (or [data-signature-clear="ID"]) wipes it. Loaded as a static file:
// the CSP forbids inline scripts.
(function () {
  function setUp(canvas) {
    const form = canvas.closest("form");
    const id = canvas.dataset.signaturePad;
    const input = id
      ? document.getElementById(id)
      : form && form.querySelector("input[name=signature], input[name=signature_png]");
    if (!form || !input) return;
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
    const clear =
      (id && document.querySelector(`[data-signature-clear="${id}"]`)) || form.querySelector("[data-signature-clear]");
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
