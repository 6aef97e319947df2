// Number formatting for labels and readouts: short, and never "0.30000000000000004".

/** A compact human string: 4 significant digits, exponent form for very small/large. */
export function fmt(v, digits = 4) {
  if (v === null || v === undefined) return "—";
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return v > 0 ? "∞" : v < 0 ? "−∞" : "NaN";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(digits - 2).split("e");
    return `${trimZeros(m)}e${e.replace("+", "")}`;
  }
  // toPrecision writes 1000 as "1.00e+3": fix the decimals instead.
  const intDigits = Math.floor(Math.log10(a)) + 1;
  return trimZeros(v.toFixed(Math.min(20, Math.max(0, digits - intDigits))));
}

function trimZeros(s) {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** The shortest text that reads back as the same number (for URLs and number boxes). */
export function numText(v) {
  if (v === null || v === undefined) return "null";
  if (!Number.isFinite(v)) return String(v);
  // Round away binary noise from slider arithmetic (0.1 + 0.2) but keep 12 digits.
  const r = Number(v.toPrecision(12));
  return String(r);
}

/** "(x, y)" with 3 significant digits each. */
export function fmtPoint(p) {
  if (!p) return "—";
  return `(${fmt(p[0], 3)}, ${fmt(p[1], 3)})`;
}

/** Round a slider-derived value to a tidy number of significant digits. */
export function tidy(v, digits = 3) {
  if (!Number.isFinite(v) || v === 0) return v;
  return Number(v.toPrecision(digits));
}
