// A drawn signature on a <canvas data-signature-pad="ID">: strokes from mouse, pen or finger; the PNG goes into the
// hidden input #ID as a data URL when the form is submitted. No inline script (the CSP forbids it).
(function () {
  function setup(canvas) {
    const input = document.getElementById(canvas.dataset.signaturePad);
    const ctx = canvas.getContext("2d");
    let drawing = false;
    let drawn = false;
    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#111";

    function point(event) {
      const rect = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - rect.left) * canvas.width) / rect.width,
        y: ((event.clientY - rect.top) * canvas.height) / rect.height,
      };
    }
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      const p = point(event);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      const p = point(event);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach((name) =>
      canvas.addEventListener(name, () => {
        drawing = false;
      }),
    );
    const clear = document.querySelector(`[data-signature-clear="${canvas.dataset.signaturePad}"]`);
    if (clear) {
      clear.addEventListener("click", () => {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        input.value = "";
      });
    }
    if (canvas.closest("form")) {
      canvas.closest("form").addEventListener("submit", () => {
        input.value = drawn ? canvas.toDataURL("image/png") : "";
      });
    }
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("canvas[data-signature-pad]").forEach(setup);
  });
})();
