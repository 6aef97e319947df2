// The one DOM helper every panel builds with.

/** <tag class=… text=… onclick=…>children</tag>; attributes with a false/null value are
 * left out, on* keys become listeners. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** Size a canvas laid over `box` to it, in device pixels (a canvas is cleared only when
 *  its size changes); returns the device pixel ratio its drawing is scaled by. */
export function fitCanvas(canvas, box) {
  const dpr = window.devicePixelRatio || 1;
  const w = box.clientWidth, h = box.clientHeight;
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const width = Math.round(w * dpr), height = Math.round(h * dpr);
  if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
  return dpr;
}
