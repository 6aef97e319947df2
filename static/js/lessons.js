// Lessons (lessons.json, data only): the tutorials' chapters as scenes. `lesson=<id>` in
// a link opens one; the card over the plot tells what it shows, the question it answers
// and what to try next, in the page's language. lessons.json is loaded only by a page
// whose link names a lesson, or when the menu is about to open.

import { el } from "./dom.js";
import { getLang, t } from "./i18n.js";
import { urlField } from "./table.js";

const ROWS_KEY = urlField("rows").key;
const LESSON_KEY = urlField("lesson").key;

let loading = null;

/** lessons.json, fetched once. */
export function loadLessons() {
  loading ||= import("./lessons.json", { with: { type: "json" } }).then((m) => m.default.lessons);
  return loading;
}

/** The query a link stands for (app/teach/lessons.py lesson_search): a link with a lesson
 *  and no rows opens the lesson's scene, the link's own keys written over it; a link with
 *  rows (a lesson edited, then reloaded or shared) is its own scene. */
export function lessonSearch(search, lessons) {
  const q = new URLSearchParams(search);
  const lesson = lessons.find((l) => l.id === q.get(LESSON_KEY));
  if (!lesson || q.has(ROWS_KEY)) return q.toString();
  const out = new URLSearchParams(lesson.scene);
  for (const key of new Set(q.keys())) out.delete(key);
  for (const [k, v] of q) out.append(k, v);
  return out.toString();
}

/** The link's query with its lesson's scene, loading lessons.json only if it names one. */
export async function linkSearch(search = location.search) {
  if (!new URLSearchParams(search).has(LESSON_KEY)) return search;
  return lessonSearch(search, await loadLessons());
}

/** A lesson's link on this page (or the embed), in the page's language. */
export function lessonHref(id, { path = "/", scene = null } = {}) {
  const q = new URLSearchParams(scene || "");
  q.set(LESSON_KEY, id);
  if (getLang() === "zh") q.set("lang", "zh");
  return `${path}?${q.toString()}`;
}

/** Text with `code` spans: text nodes and <code> elements, never HTML. */
function rich(text) {
  return text.split("`").map((part, i) => (i % 2 ? el("code", { text: part }) : part));
}

const words = (item) => item[getLang()] || item.en;

/** The card of the lesson the state names (store.state.lesson), over the plot. */
export class LessonCard {
  constructor(host, store, { path = "/", compact = false } = {}) {
    this.host = host;
    this.store = store;
    this.path = path;
    this.compact = compact;
    this.lessons = null;
    store.subscribe(({ what }) => {
      if (what.has("lang") || what.has("lesson")) this.render();
    });
  }

  async show() {
    if (!this.store.state.lesson) return this.render();
    this.lessons = await loadLessons();
    // A name no lesson has: no card, and the link stops naming it.
    if (!this.lessons.some((l) => l.id === this.store.state.lesson)) this.store.update({ lesson: null });
    this.render();
  }

  render() {
    const id = this.store.state.lesson;
    const n = this.lessons ? this.lessons.findIndex((l) => l.id === id) : -1;
    this.host.hidden = n < 0;
    if (n < 0) return this.host.replaceChildren();
    const lesson = this.lessons[n];
    const head = el("div", { class: "lesson-head" },
      el("h2", { id: "lesson-title", class: "lesson-title" },
        el("span", { class: "lesson-number", text: t("lesson.number", { n: n + 1 }) }), " ", words(lesson.title)),
      this.compact ? null : el("button", { type: "button", class: "btn small lesson-close", "aria-label": t("lesson.close"), title: t("lesson.close"), text: "×",
        onclick: () => this.store.update({ lesson: null }) }));
    const variants = (lesson.variants || []).map((v) => el("a", { class: "btn small lesson-variant", href: lessonHref(id, { path: this.path, scene: v.scene }), text: words(v.label) }));
    this.host.replaceChildren(head,
      el("p", { class: "lesson-question" }, ...rich(words(lesson.question))),
      el("p", { class: "lesson-caption" }, ...rich(words(lesson.caption))),
      el("p", { class: "lesson-try" }, el("strong", { text: t("lesson.try") }), getLang() === "zh" ? "" : " ", ...rich(words(lesson.try))),
      el("div", { class: "lesson-actions" }, ...variants,
        el("a", { class: "lesson-restart", href: lessonHref(id, { path: this.path }), text: t("lesson.restart") })));
  }
}

/** The "Lessons" menu of the page: a disclosure listing every lesson as a link. */
export class LessonsMenu {
  constructor(details) {
    this.details = details;
    this.list = details.querySelector("ol");
    this.filled = null;
    details.addEventListener("toggle", () => details.open && this.fill());
    // Escape or a click elsewhere closes it, as a menu does.
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && details.open) {
        details.open = false;
        details.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", (e) => {
      if (details.open && !details.contains(e.target)) details.open = false;
    });
  }

  async fill() {
    const lessons = await loadLessons();
    const lang = getLang();
    if (this.filled === lang) return;
    this.filled = lang;
    this.list.replaceChildren(...lessons.map((l, i) => el("li", {},
      el("a", { href: lessonHref(l.id), "data-lesson": l.id },
        el("span", { class: "lesson-number", text: `${i + 1}.` }), " ", words(l.title),
        el("span", { class: "lesson-q" }, ...rich(words(l.question)))))));
  }

  /** Relabel on a language switch (only if it has been filled). */
  relabel() {
    if (this.filled && this.filled !== getLang()) this.fill();
  }
}
