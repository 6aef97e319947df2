// What the first view needs of surfaces from data, on any surface: the data sets'
// options in the surface select, the link's data (kept in this tab when too long for a
// link), and the model in force. The data controls and plot themselves (datapanel.js,
// csvdata.js, dataview.js) load when a data surface is first shown (dataparts.js).

import { getLang, t } from "./i18n.js";
import { pointsText } from "./state.js";
import { urlField } from "./table.js";

export const CSV_OPTION = "__csv__";
const DATA_PREFIX = "data:";
const SURFACE_KEYS = urlField("surface");
// Pasted data too long for a link stays in this tab's sessionStorage (a reload keeps it).
export const LOCAL_KEY = "optplay.localData";

/** The option value of a built-in data set in the surface select. */
export function dataOption(id) {
  return DATA_PREFIX + id;
}

/** The data set's id of a surface-select value of a built-in set. */
export function dataIdOf(value) {
  return value.slice(DATA_PREFIX.length);
}

/** The surface select's value for a state on a surface from data. */
export function dataValue(st) {
  return st.data.id ? dataOption(st.data.id) : CSV_OPTION;
}

/** Is this surface-select value a data choice? */
export function isDataValue(v) {
  return v === CSV_OPTION || v.startsWith(DATA_PREFIX);
}

/** The data set's options, in their own group of the surface select. */
export function dataOptions(catalog) {
  const group = document.createElement("optgroup");
  group.label = t("surface.groupData");
  for (const d of catalog.datasets) {
    const name = getLang() === "zh" && d.name_zh ? d.name_zh : d.name;
    group.append(new Option(t("data.option", { name, model: t(`data.${d.model}`) }), dataOption(d.id)));
  }
  group.append(new Option(t("data.yours"), CSV_OPTION));
  return group;
}

/** The model in force: the state's, else the data set's own (linear for your data). */
export function dataModel(st, catalog) {
  return st.model || (st.data?.id && catalog.dataset(st.data.id)?.model) || "linear";
}

/** Does a link of this state leave its data out (pasted data too long for a link)? */
export function linkDropsData(st) {
  return Boolean(st.data && !st.data.id && pointsText(st.data).length > SURFACE_KEYS.points_max_chars);
}

/** A link written with data=local (too long for the URL): the query with the points
 *  this tab kept, or, when this browser has none, with the first built-in set and `lost`. */
export function restoreLocalData(search, catalog) {
  const q = new URLSearchParams(search);
  if (q.get(SURFACE_KEYS.data_key) !== SURFACE_KEYS.local || q.get(SURFACE_KEYS.points_key)) return { search, lost: null };
  let kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(LOCAL_KEY) || "null");
  } catch (e) {
    kept = null;
  }
  if (kept?.x?.length && kept.x.length === kept.y?.length) {
    q.set(SURFACE_KEYS.points_key, pointsText(kept));
    return { search: q.toString(), lost: null };
  }
  const first = catalog.datasets[0];
  if (!first) return { search, lost: null };
  q.set(SURFACE_KEYS.data_key, first.id);
  q.delete(SURFACE_KEYS.model_key);
  return { search: q.toString(), lost: first };
}
