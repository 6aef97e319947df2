// Every visible string goes through t(key). Two dictionaries: English and Simplified
// Chinese. PyTorch names (Adam, lr, StepLR, torch.optim) stay as PyTorch spells them in
// both, because that is what students type in their own code.

const en = {
  "app.title": "Optimizer Playground",
  "app.tagline": "Watch torch.optim optimizers race on 2D surfaces",
  "app.loading": "Loading…",
  "app.noscript": "This page needs JavaScript.",
  "lang.label": "Language",

  "surface.section": "Surface",
  "surface.label": "Test function",
  "surface.custom": "Custom formula…",
  "surface.minimum": "minimum",
  "surface.saddle": "saddle point",
  "surface.start": "start",
  "formula.label": "Formula f(x, y)",
  "formula.help": "Use x, y, numbers, + − * / ** ( ), pi, e and sin cos tan exp log sqrt abs tanh.",
  "formula.ok": "Formula OK.",
  "formula.checking": "Checking…",
  "formula.errorAt": "Column {col}: {msg}",
  "formula.apply": "Draw",
  "domain.label": "Domain",
  "domain.x": "x range",
  "domain.y": "y range",
  "domain.min": "min",
  "domain.max": "max",
  "domain.bad": "The lower end must be below the upper end.",

  "start.section": "Start point",
  "start.hint": "Click anywhere on the plot to move it.",
  "start.reset": "Default",
  "steps.label": "Steps",

  "rows.section": "Optimizers",
  "rows.add": "Add optimizer",
  "rows.empty": "No optimizer yet: add one to start the race.",
  "rows.limit": "At most {n} optimizers.",
  "row.optimizer": "Optimizer",
  "row.color": "Path colour",
  "row.hide": "Hide path",
  "row.show": "Show path",
  "row.duplicate": "Duplicate (compare another setting)",
  "row.remove": "Remove",
  "row.more": "More options",
  "row.scheduler": "LR scheduler",
  "row.docs": "PyTorch docs",
  "row.number": "Optimizer {n}",
  "family.torch": "torch.optim",
  "family.extra": "pytorch-optimizer",
  "sched.none": "None (constant lr)",
  "sched.children": "Child schedulers (JSON list)",
  "sched.childrenHelp": "e.g. [{\"name\": \"LinearLR\", \"params\": {\"start_factor\": 0.1, \"total_iters\": 20}}, {\"name\": \"ExponentialLR\", \"params\": {\"gamma\": 0.98}}]",
  "sched.badJson": "Not valid JSON: {msg}",
  "sched.badList": "Expected a list of {\"name\": …, \"params\": {…}} objects.",
  "param.none": "None",
  "param.list": "comma-separated numbers",
  "param.badNumber": "Not a number.",
  "param.inner": "Inner optimizer",
  "param.first": "first",
  "param.second": "second",
  "noise.label": "Gradient noise σ",
  "noise.doc": "Adds seeded Gaussian noise to every gradient, like mini-batch noise.",

  "player.play": "Play",
  "player.pause": "Pause",
  "player.back": "Step back (J)",
  "player.forward": "Step forward (L)",
  "player.reset": "Back to step 0",
  "player.speed": "Speed",
  "player.scrubber": "Step",
  "player.stepOf": "step {k} / {n}",
  "player.keys": "Keys: Space play/pause · J / L one step",

  "readout.optimizer": "Optimizer",
  "readout.step": "Step",
  "readout.loss": "Loss",
  "readout.position": "Position (x, y)",
  "readout.status": "Status",
  "status.computing": "computing…",
  "status.running": "running",
  "status.finished": "finished",
  "status.diverged": "diverged at step {k}",
  "status.escaped": "left the view at step {k}",
  "status.hidden": "hidden",
  "mark.diverged": "diverged @{k}",
  "mark.escaped": "left view @{k}",

  "loss.title": "Loss per step",
  "loss.step": "step",
  "loss.loss": "loss",
  "loss.log": "log scale",
  "loss.hint": "Click the chart to jump to a step.",

  "plot.label": "Contour plot of the surface with the optimizers' paths",
  "plot.colorbar": "f(x, y)",

  "share.button": "Share",
  "share.copied": "Link copied to the clipboard.",
  "share.manual": "Copy this link:",
  "embed.button": "Embed",
  "embed.title": "Embed this view in a course page",
  "embed.intro": "Paste this HTML where the visualizer should appear. It keeps the current surface, start point and optimizers.",
  "embed.autoplay": "Play automatically",
  "embed.controls": "Controls shown",
  "embed.controlsHelp": "Hyperparameter names separated by commas (lr, momentum, …), or none.",
  "embed.height": "Height (px)",
  "embed.copy": "Copy code",
  "embed.copied": "Code copied.",
  "embed.preview": "Preview",
  "embed.open": "Open in full app ↗",
  "dialog.close": "Close",

  "conn.lost": "Connection to the server lost; reconnecting…",
  "conn.http": "Live updates unavailable; using plain requests.",
  "error.server": "Server: {msg}",
  "error.field": "{field}: {msg}",

  // Inside the optimizer (inspector.js, arrows.js, lrstrip.js)
  "insp.title": "Inside the optimizer",
  "insp.definition": "Values at step k: the state PyTorch holds after k calls of optimizer.step(); g is the gradient step k used (computed at θₖ₋₁, noise included); Δθ = θₖ − θₖ₋₁ is the step actually taken; lr is the lr step k used.",
  "insp.step": "after step {k}",
  "insp.zero": "Step 0: optimizer.step() has not been called yet, so the state is empty.",
  "insp.loading": "Fetching the optimizer's state…",
  "insp.tooMany": "The optimizer's state is sent for runs of up to {n} steps: lower Steps to see it.",
  "insp.empty": "No visible optimizer: show a path to inspect it.",
  "insp.grad": "gradient",
  "insp.gradTip": "The gradient step k used: ∇f(θₖ₋₁), noise included (what p.grad held).",
  "insp.update": "step taken",
  "insp.updateTip": "Δθ = θₖ − θₖ₋₁: how far step k actually moved the point.",
  "insp.lrTip": "The lr step k used (param_groups[0][\"lr\"] before the step).",
  "insp.state": "optimizer.state (PyTorch names)",
  "insp.stateTip": "optimizer.state[p][\"{name}\"] after step k",
  "insp.noneTip": "Not set at this step (None in PyTorch).",
  "insp.pairs": "{n} × (x, y)",
  "insp.values": "{n} values",
  "eff.title": "Effective step per coordinate",
  "eff.tooltip": "For each coordinate i, the step actually taken divided by the gradient it was taken with: |Δθᵢ| / |gᵢ|. For plain SGD this is exactly lr; adaptive methods change it per coordinate and per step. Log scale; gaps where gᵢ = 0.",
  "arrows.toggle": "Arrows on the plot",
  "arrows.grad": "−g descent direction",
  "arrows.momentum": "−m momentum",
  "arrows.update": "Δθ step taken",
  "arrows.tooltip": "Drawn at each optimizer's current point for the step shown (the inspector's values): −g is minus the gradient, −m minus momentum_buffer or exp_avg (as the update uses it), Δθ the step just taken. Directions are exact; lengths are scaled, not in plot units: a typical size (the median over the visible runs) draws half the longest arrow, larger values grow more slowly. −g and −m share one scale, Δθ has its own.",
  "lr.title": "Learning rate per step",
  "lr.tooltip": "The value at step k is the lr that step k used.",
  "lr.hint": "Shown while an optimizer has an LR scheduler. Click the chart to jump to a step.",
};

const zh = {
  "app.title": "优化器游乐场",
  "app.tagline": "看 torch.optim 的优化器在二维曲面上赛跑",
  "app.loading": "正在加载…",
  "app.noscript": "本页面需要启用 JavaScript。",
  "lang.label": "语言",

  "surface.section": "曲面",
  "surface.label": "测试函数",
  "surface.custom": "自定义公式…",
  "surface.minimum": "极小值点",
  "surface.saddle": "鞍点",
  "surface.start": "起点",
  "formula.label": "公式 f(x, y)",
  "formula.help": "可以使用 x、y、数字、+ − * / ** ( )、pi、e，以及函数 sin cos tan exp log sqrt abs tanh。",
  "formula.ok": "公式正确。",
  "formula.checking": "正在检查…",
  "formula.errorAt": "第 {col} 列：{msg}",
  "formula.apply": "绘制",
  "domain.label": "定义域",
  "domain.x": "x 的范围",
  "domain.y": "y 的范围",
  "domain.min": "最小",
  "domain.max": "最大",
  "domain.bad": "下限必须小于上限。",

  "start.section": "起点",
  "start.hint": "在图上任意位置单击即可移动起点。",
  "start.reset": "默认",
  "steps.label": "步数",

  "rows.section": "优化器",
  "rows.add": "添加优化器",
  "rows.empty": "还没有优化器：添加一个，比赛就开始了。",
  "rows.limit": "最多 {n} 个优化器。",
  "row.optimizer": "优化器",
  "row.color": "路径颜色",
  "row.hide": "隐藏路径",
  "row.show": "显示路径",
  "row.duplicate": "复制一份（换个参数对比）",
  "row.remove": "删除",
  "row.more": "更多参数",
  "row.scheduler": "学习率调度器",
  "row.docs": "PyTorch 文档",
  "row.number": "第 {n} 个优化器",
  "family.torch": "torch.optim",
  "family.extra": "pytorch-optimizer",
  "sched.none": "无（学习率不变）",
  "sched.children": "子调度器（JSON 列表）",
  "sched.childrenHelp": "例如 [{\"name\": \"LinearLR\", \"params\": {\"start_factor\": 0.1, \"total_iters\": 20}}, {\"name\": \"ExponentialLR\", \"params\": {\"gamma\": 0.98}}]",
  "sched.badJson": "JSON 格式有误：{msg}",
  "sched.badList": "应为由 {\"name\": …, \"params\": {…}} 组成的列表。",
  "param.none": "None",
  "param.list": "用逗号分隔的数字",
  "param.badNumber": "不是有效的数字。",
  "param.inner": "内层优化器",
  "param.first": "第一个",
  "param.second": "第二个",
  "noise.label": "梯度噪声 σ",
  "noise.doc": "给每一步的梯度加上固定种子的高斯噪声，用来模拟小批量（mini-batch）带来的噪声。",

  "player.play": "播放",
  "player.pause": "暂停",
  "player.back": "后退一步（J）",
  "player.forward": "前进一步（L）",
  "player.reset": "回到第 0 步",
  "player.speed": "速度",
  "player.scrubber": "步数",
  "player.stepOf": "第 {k} / {n} 步",
  "player.keys": "快捷键：空格 播放/暂停 · J / L 单步",

  "readout.optimizer": "优化器",
  "readout.step": "步数",
  "readout.loss": "损失",
  "readout.position": "位置 (x, y)",
  "readout.status": "状态",
  "status.computing": "计算中…",
  "status.running": "运行中",
  "status.finished": "已完成",
  "status.diverged": "在第 {k} 步发散",
  "status.escaped": "在第 {k} 步离开视野",
  "status.hidden": "已隐藏",
  "mark.diverged": "第 {k} 步发散",
  "mark.escaped": "第 {k} 步离开视野",

  "loss.title": "损失随步数的变化",
  "loss.step": "步数",
  "loss.loss": "损失",
  "loss.log": "对数坐标",
  "loss.hint": "单击图表可跳到对应的步数。",

  "plot.label": "曲面等高线图及各优化器的路径",
  "plot.colorbar": "f(x, y)",

  "share.button": "分享",
  "share.copied": "链接已复制到剪贴板。",
  "share.manual": "请复制这个链接：",
  "embed.button": "嵌入",
  "embed.title": "把当前视图嵌入课程网页",
  "embed.intro": "把下面的 HTML 粘贴到网页中需要显示的位置。曲面、起点和优化器设置都会保留。",
  "embed.autoplay": "自动播放",
  "embed.controls": "显示的控件",
  "embed.controlsHelp": "用逗号分隔的超参数名（如 lr, momentum），或填 none 表示不显示。",
  "embed.height": "高度（像素）",
  "embed.copy": "复制代码",
  "embed.copied": "代码已复制。",
  "embed.preview": "预览",
  "embed.open": "在完整版中打开 ↗",
  "dialog.close": "关闭",

  "conn.lost": "与服务器的连接已断开，正在重新连接…",
  "conn.http": "实时更新不可用，改用普通请求。",
  "error.server": "服务器：{msg}",
  "error.field": "{field}：{msg}",

  // 优化器内部（inspector.js、arrows.js、lrstrip.js）
  "insp.title": "优化器内部",
  "insp.definition": "第 k 步显示的数值：调用 k 次 optimizer.step() 之后 PyTorch 保存的状态；g 是第 k 步所用的梯度（在 θₖ₋₁ 处计算，含噪声）；Δθ = θₖ − θₖ₋₁ 是实际走的一步；lr 是第 k 步所用的学习率。",
  "insp.step": "第 {k} 步之后",
  "insp.zero": "第 0 步：还没有调用过 optimizer.step()，状态为空。",
  "insp.loading": "正在获取优化器状态…",
  "insp.tooMany": "步数不超过 {n} 时才能获取优化器状态：请把步数调小后再查看。",
  "insp.empty": "没有显示中的优化器：先显示一条路径再查看。",
  "insp.grad": "梯度",
  "insp.gradTip": "第 k 步所用的梯度：∇f(θₖ₋₁)，含噪声（即当时 p.grad 中的值）。",
  "insp.update": "实际更新",
  "insp.updateTip": "Δθ = θₖ − θₖ₋₁：第 k 步实际把点移动了多少。",
  "insp.lrTip": "第 k 步所用的学习率（该步之前的 param_groups[0][\"lr\"]）。",
  "insp.state": "optimizer.state（PyTorch 中的名称）",
  "insp.stateTip": "第 k 步之后的 optimizer.state[p][\"{name}\"]",
  "insp.noneTip": "这一步尚未设置（PyTorch 中为 None）。",
  "insp.pairs": "{n} 个 (x, y)",
  "insp.values": "{n} 个数值",
  "eff.title": "各坐标的有效步长",
  "eff.tooltip": "对每个坐标 i，实际走的步长除以这一步所用的梯度：|Δθᵢ| / |gᵢ|。对普通 SGD 它恰好等于 lr；自适应方法会让它随坐标、随步数变化。纵轴为对数坐标；gᵢ = 0 处留空。",
  "arrows.toggle": "在图上画箭头",
  "arrows.grad": "−g 下降方向",
  "arrows.momentum": "−m 动量",
  "arrows.update": "Δθ 实际更新",
  "arrows.tooltip": "箭头画在每个优化器当前所在的点上，对应当前显示的步数（与“优化器内部”面板中的数值一致）：−g 是负梯度，−m 是 momentum_buffer 或 exp_avg 取负（更新时就是这样使用的），Δθ 是刚走的一步。方向是准确的；长度经过缩放，并非图上的实际长度：典型大小（所有显示中的优化器的中位数）画成最长箭头的一半，更大的值增长得更慢。−g 与 −m 使用同一比例，Δθ 单独一个比例。",
  "lr.title": "学习率随步数的变化",
  "lr.tooltip": "第 k 步处的值是第 k 步所用的学习率。",
  "lr.hint": "有优化器使用学习率调度器时显示。单击图表可跳到对应的步数。",
};

export const DICTIONARIES = { en, zh };
export const LANGS = ["en", "zh"];

let current = "en";

/** Language from `lang=` in the URL, else the browser's, else English. */
export function detectLang(search = location.search, nav = navigator) {
  const asked = new URLSearchParams(search).get("lang");
  if (LANGS.includes(asked)) return asked;
  for (const tag of nav.languages || [nav.language || ""]) {
    const low = String(tag).toLowerCase();
    if (low.startsWith("zh")) return "zh";
    if (low.startsWith("en")) return "en";
  }
  return "en";
}

export function setLang(lang) {
  current = LANGS.includes(lang) ? lang : "en";
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  document.documentElement.dataset.lang = current;
}

export function getLang() {
  return current;
}

/** The string for `key` in the current language, with {name} filled from `vars`. */
export function t(key, vars = {}) {
  const text = DICTIONARIES[current][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** The catalogue's description in the current language (doc_zh falls back to doc). */
export function docOf(item) {
  if (!item) return "";
  return (current === "zh" ? item.doc_zh || item.doc : item.doc) || "";
}

// Built-in surfaces' names in Chinese (English names come from the server's catalogue).
const SURFACE_NAMES_ZH = {
  bowl: "碗形函数 x² + y²",
  ravine: "狭长山谷（条件数 20）",
  rosenbrock: "Rosenbrock 函数（香蕉谷）",
  beale: "Beale 函数",
  saddle: "鞍点 x² − y²",
  monkey_saddle: "猴鞍面",
  himmelblau: "Himmelblau 函数（四个极小值）",
  rastrigin: "Rastrigin 函数（大量局部极小值）",
  ackley: "Ackley 函数",
  booth: "Booth 函数",
  goldstein_price: "Goldstein-Price 函数",
  six_hump_camel: "六峰驼背函数",
  styblinski_tang: "Styblinski-Tang 函数",
  matyas: "Matyas 函数",
  three_hump_camel: "三峰驼背函数",
  levi: "Levi N.13 函数",
  mccormick: "McCormick 函数",
  abs_valley: "不光滑的 V 形谷（含绝对值）",
};

/** A surface's display name in the current language. */
export function surfaceName(surface) {
  if (!surface) return "";
  if (current === "zh" && SURFACE_NAMES_ZH[surface.id]) return SURFACE_NAMES_ZH[surface.id];
  return surface.name || surface.id;
}

/** Fill static markup: data-i18n="key" sets the text, data-i18n-ATTR="key" an attribute. */
export function applyI18n(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const attr of ["title", "aria-label"]) {
    const data = "i18n" + attr.split("-").map((p) => p[0].toUpperCase() + p.slice(1)).join("");
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      el.setAttribute(attr, t(el.dataset[data]));
    }
  }
  document.title = t("app.title");
}
