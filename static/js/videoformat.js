// Which video the browser can record a canvas to: asked when the export bar is built (to
// show the video button or not), apart from recorder.js, which loads on first use.

const TYPES = [
  ["video/mp4;codecs=avc1.42E01E", "mp4"], ["video/mp4", "mp4"],
  ["video/webm;codecs=vp9", "webm"], ["video/webm;codecs=vp8", "webm"], ["video/webm", "webm"],
];

/** {mimeType, ext} the browser can record a canvas to, or null. */
export function videoFormat() {
  if (typeof MediaRecorder === "undefined" || typeof HTMLCanvasElement.prototype.captureStream !== "function") return null;
  const hit = TYPES.find(([type]) => MediaRecorder.isTypeSupported(type));
  return hit ? { mimeType: hit[0], ext: hit[1] } : null;
}
