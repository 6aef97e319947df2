// Plotly's own words (mode-bar tooltips, the double-click hint) in the page's language.
// plotly.js ships its locales as separate files that the Python package does not carry,
// so the few strings our plots can show are translated here.

import { getLang } from "./i18n.js";

const ZH = {
  "Pan": "平移",
  "Zoom": "框选放大",
  "Zoom in": "放大",
  "Zoom out": "缩小",
  "Autoscale": "自动缩放",
  "Reset axes": "恢复坐标轴",
  "Reset view": "恢复视图",
  "Box Select": "框选",
  "Lasso Select": "套索选择",
  "Orbital rotation": "自由旋转",
  "Turntable rotation": "转台旋转",
  "Reset camera to default": "恢复默认视角",
  "Reset camera to last save": "恢复上次保存的视角",
  "Download plot as a png": "下载为 PNG 图片",
  "Download plot": "下载图片",
  "Double-click to zoom back out": "双击恢复原来大小",
  "Toggle Spike Lines": "显示或隐藏参考线",
  "Show closest data on hover": "悬停时显示最近的数据",
  "Compare data on hover": "悬停时比较数据",
  "Snapshot succeeded": "截图成功",
  "Sorry, there was a problem downloading your snapshot!": "抱歉，下载截图时出了问题。",
  "Taking snapshot - this may take a few seconds": "正在截图，可能需要几秒钟",
  "Produced with Plotly.js": "由 Plotly.js 绘制",
};

const registered = new WeakSet();

/** The `locale` to put in a plot's config: registers our Chinese words once with `lib`
 *  (window.Plotly, or the 3D view's own plotly.js). */
export function plotLocale(lib = window.Plotly) {
  if (lib && !registered.has(lib)) {
    lib.register({ moduleType: "locale", name: "zh-CN", dictionary: ZH, format: {} });
    registered.add(lib);
  }
  return getLang() === "zh" ? "zh-CN" : "en";
}
