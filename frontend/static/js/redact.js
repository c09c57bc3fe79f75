// Marking the part of a photo to black out by dragging over it (mouse, pen or finger). The four
// per-cent fields are the real input: they work without script and by keyboard; dragging fills them.
(function () {
  "use strict";

  function clamp(value) { return Math.min(100, Math.max(0, value)); }

  function pointIn(canvas, event) {
    var box = canvas.querySelector("img").getBoundingClientRect();
    return {
      x: clamp(((event.clientX - box.left) / box.width) * 100),
      y: clamp(((event.clientY - box.top) / box.height) * 100)
    };
  }

  function fields(form) {
    var found = {};
    form.querySelectorAll("[data-region]").forEach(function (input) { found[input.getAttribute("data-region")] = input; });
    return found;
  }

  function showMark(form) {
    var f = fields(form);
    var mark = form.querySelector("[data-black-out-mark]");
    var x = parseFloat(f.region_x.value), y = parseFloat(f.region_y.value);
    var w = parseFloat(f.region_width.value), h = parseFloat(f.region_height.value);
    if ([x, y, w, h].some(isNaN) || w <= 0 || h <= 0) { mark.hidden = true; return; }
    // CSSOM properties, not a style attribute: allowed under the strict CSP.
    mark.style.left = clamp(x) + "%";
    mark.style.top = clamp(y) + "%";
    mark.style.width = clamp(Math.min(w, 100 - x)) + "%";
    mark.style.height = clamp(Math.min(h, 100 - y)) + "%";
    mark.hidden = false;
  }

  function setRegion(form, a, b) {
    var f = fields(form);
    f.region_x.value = Math.min(a.x, b.x).toFixed(1);
    f.region_y.value = Math.min(a.y, b.y).toFixed(1);
    f.region_width.value = Math.abs(a.x - b.x).toFixed(1);
    f.region_height.value = Math.abs(a.y - b.y).toFixed(1);
    showMark(form);
  }

  var drag = null;
  document.addEventListener("pointerdown", function (event) {
    var canvas = event.target.closest("[data-black-out-canvas]");
    if (!canvas || event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drag = { canvas: canvas, form: canvas.closest("form"), start: pointIn(canvas, event) };
  });
  document.addEventListener("pointermove", function (event) {
    if (drag) setRegion(drag.form, drag.start, pointIn(drag.canvas, event));
  });
  function endDrag(event) {
    if (!drag) return;
    setRegion(drag.form, drag.start, pointIn(drag.canvas, event));
    drag = null;
  }
  document.addEventListener("pointerup", endDrag);
  document.addEventListener("pointercancel", function () { drag = null; });

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-region]")) showMark(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-black-out]").forEach(showMark);
  });
})();
