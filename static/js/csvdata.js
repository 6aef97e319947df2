// Your own data as text: two columns, x and y, read before anything is sent, so a bad
// line is named where it is (its number, and the column of the bad value for a caret).
//
// Columns are separated by a comma, a semicolon, a tab or spaces (whichever the line
// has, in that order); a header is allowed on the first line only; blank lines and
// lines starting with # are skipped; a trailing separator is forgiven (spreadsheets
// write one). Numbers are plain decimals (1, -2.5, .5, 3e-4): no "inf", "nan", "0x10".

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Parse `text`. On success {ok: true, x, y, lines (1-based line of each point), header};
 * else {ok: false, line, col (0-based column of the bad text in the line, or null),
 * key (an i18n key), vars, text (the line)}.
 * `model`: "logistic" wants every y to be 0 or 1; `maxPoints`: the server's limit.
 */
export function parseCsv(text, { model = "linear", maxPoints = 10000 } = {}) {
  const rows = String(text).replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  const x = [], y = [], lines = [];
  let header = null;
  let first = true;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const line = i + 1;
    if (row.trim() === "" || row.trim().startsWith("#")) continue;
    const cells = splitLine(row);
    const fail = (key, vars = {}, col = null) => ({ ok: false, line, col, key, vars, text: row });
    const isHeader = first && cells.every((c) => c.text !== "" && !NUMBER.test(c.text));
    if (cells.length !== 2) {
      return fail("csv.columns", { n: cells.length }, cells[2]?.at ?? null);
    }
    if (isHeader) {
      header = cells.map((c) => c.text);
      first = false;
      continue;
    }
    first = false;
    const values = [];
    for (const c of cells) {
      if (!NUMBER.test(c.text)) return fail(c.text === "" ? "csv.empty" : "csv.notNumber", { value: c.text }, c.at);
      const v = Number(c.text);
      if (!Number.isFinite(v)) return fail("csv.tooBig", { value: c.text }, c.at);
      values.push(v);
    }
    if (model === "logistic" && values[1] !== 0 && values[1] !== 1) {
      return fail("csv.notLabel", { value: cells[1].text }, cells[1].at);
    }
    if (x.length >= maxPoints) return fail("csv.tooMany", { max: maxPoints });
    x.push(values[0]);
    y.push(values[1]);
    lines.push(line);
  }
  if (!x.length) return { ok: false, line: null, col: null, key: "csv.none", vars: {}, text: "" };
  return { ok: true, x, y, lines, header };
}

/** A line's cells with where each starts: [{text, at}], quotes and spaces trimmed. */
function splitLine(row) {
  const sep = row.includes("\t") ? "\t" : row.includes(";") ? ";" : row.includes(",") ? "," : null;
  const cells = [];
  if (sep) {
    let at = 0;
    for (const part of row.split(sep)) {
      cells.push(cell(part, at));
      at += part.length + 1;
    }
  } else {
    const re = /\S+/g;
    let m;
    while ((m = re.exec(row))) cells.push(cell(m[0], m.index));
  }
  // "1,2," from a spreadsheet: the empty last cell is not a third column.
  while (cells.length > 2 && cells[cells.length - 1].text === "") cells.pop();
  return cells;
}

function cell(part, at) {
  const lead = part.length - part.trimStart().length;
  let text = part.trim();
  let shift = lead;
  if (text.length >= 2 && (text[0] === '"' || text[0] === "'") && text[text.length - 1] === text[0]) {
    text = text.slice(1, -1).trim();
    shift += 1;
  }
  return { text, at: at + shift };
}

/** Data as the text box shows it: a header, then one "x,y" line per point. */
export function csvText(data, header = ["x", "y"]) {
  const out = [header.join(",")];
  for (let i = 0; i < data.x.length; i++) out.push(`${data.x[i]},${data.y[i]}`);
  return out.join("\n");
}
