// The words of a row's "torch.optim API" section (torchapi.js), in English and 简体中文:
// loaded with the section when it is first opened, and added to i18n.js's dictionaries
// (addWords). PyTorch's names stay as PyTorch spells them.

export const LAB_PANEL_EN = {
  "lab.intro": "What the tutorials do with the optimizer object itself, as options of this run. Copy as PyTorch writes each one.",

  "lab.groups.title": "Param groups",
  "lab.groups.split": "Two param groups: x and y, each with its own values",
  "lab.groups.help": "x and y become two parameters, each in its own param group; a value a group leaves out is the row's. The path moves further along the axis whose group has the larger lr.",
  "lab.groups.closure": "{name} refuses param groups (PyTorch: \"doesn't support per-parameter options\").",
  "lab.groups.group": "group {c}",
  "lab.groups.inherit": "Use the row's value",
  "lab.groups.fromRow": "the row's",
  "lab.groups.more": "More of group {c}",

  "lab.zero.title": "zero_grad()",
  "lab.zero.check": "call optimizer.zero_grad() before each backward()",
  "lab.zero.off": "Off: .grad is never cleared. Each backward() adds to it, so step k uses the sum of all k gradients so far, and the path runs away.",
  "lab.zero.offClosure": "Off: the closure does not clear .grad either, so every evaluation inside a step adds to it.",

  "lab.events.title": "Change course at a step",
  "lab.events.help": "After k steps, change lr, momentum, betas …: either by hand in the optimizer's param groups (its state carries on), or by building the optimizer anew (its state starts empty, as after a restart without load_state_dict).",
  "lab.events.add": "Add a change at step {k}",
  "lab.events.full": "At most {n} changes.",
  "lab.events.noRoom": "No free step left: every step from 1 to {n} already has a change.",
  "lab.events.scheduler": "An LR scheduler and changes at a step exclude each other: the scheduler writes lr at every step and would overwrite the change. Remove the scheduler to add one.",
  "lab.events.item": "Change {n}",
  "lab.events.at": "after step",
  "lab.events.state": "What happens to the optimizer",
  "lab.events.keep": "keep the optimizer's state",
  "lab.events.reset": "re-create the optimizer (no load_state_dict)",
  "lab.events.change": "Change…",
  "lab.events.changeLabel": "Add a hyperparameter this change sets",
  "lab.events.remove": "Remove this change",
  "lab.events.removeValue": "Do not change this value",
  "lab.events.compareReset": "Compare: a copy that re-creates the optimizer",
  "lab.events.compareKeep": "Compare: a copy that keeps the state",
  "lab.events.none": "Changes nothing: the optimizer is only re-created.",
  "lab.events.noneKeep": "Changes nothing yet: add a value.",

  "lab.closure.title": "step(closure)",
  "lab.closure.text": "{name} calls the closure several times within one step (its line search and inner iterations). Open “Inside the optimizer” to see each evaluation as a small mark on the plot, and how many each step took.",
  "lab.closure.show": "Show the evaluations",
};

export const LAB_PANEL_ZH = {
  "lab.intro": "教程里对优化器对象本身做的操作，这里作为本次运行的选项。“复制为 PyTorch 代码”会写出每一项。",

  "lab.groups.title": "参数组",
  "lab.groups.split": "分成两个参数组：x 和 y，各自设定数值",
  "lab.groups.help": "x 和 y 成为两个参数，各在一个参数组中；组里没有设定的数值取这一行的。路径会沿学习率较大的那个坐标轴走得更远。",
  "lab.groups.closure": "{name} 不接受参数组（PyTorch 会直接报错）。",
  "lab.groups.group": "{c} 组",
  "lab.groups.inherit": "改用这一行的数值",
  "lab.groups.fromRow": "取自这一行",
  "lab.groups.more": "{c} 组的更多参数",

  "lab.zero.title": "zero_grad()",
  "lab.zero.check": "每次 backward() 之前调用 optimizer.zero_grad()",
  "lab.zero.off": "关闭时 .grad 从不清零：每次 backward() 都累加上去，第 k 步用的是前 k 个梯度之和，路径会越走越远。",
  "lab.zero.offClosure": "关闭时闭包也不清零 .grad，一步之内的每次求值都会累加上去。",

  "lab.events.title": "在某一步中途修改",
  "lab.events.help": "在第 k 步之后修改 lr、momentum、betas 等：要么直接改优化器的参数组（状态保留），要么重新创建优化器（状态清空，相当于重启训练却没有调用 load_state_dict）。",
  "lab.events.add": "在第 {k} 步添加一处修改",
  "lab.events.full": "最多 {n} 处修改。",
  "lab.events.noRoom": "没有空余的步数了：第 1 到第 {n} 步都已有修改。",
  "lab.events.scheduler": "学习率调度器与中途修改不能同时使用：调度器每一步都会改写 lr，会覆盖掉这里的修改。请先移除调度器。",
  "lab.events.item": "第 {n} 处修改",
  "lab.events.at": "在此步之后",
  "lab.events.state": "优化器如何处理",
  "lab.events.keep": "保留优化器的状态",
  "lab.events.reset": "重新创建优化器（不调用 load_state_dict）",
  "lab.events.change": "修改…",
  "lab.events.changeLabel": "添加这处修改要设定的超参数",
  "lab.events.remove": "删除这处修改",
  "lab.events.removeValue": "不修改这个数值",
  "lab.events.compareReset": "对比：复制一份，改为重新创建优化器",
  "lab.events.compareKeep": "对比：复制一份，改为保留状态",
  "lab.events.none": "不修改任何数值：只是重新创建优化器。",
  "lab.events.noneKeep": "还没有要修改的数值：请添加一个。",

  "lab.closure.title": "step(closure)",
  "lab.closure.text": "{name} 在一步之内会多次调用闭包（线搜索和内部迭代）。打开“优化器内部”即可在图上看到每次求值的小标记，以及每一步的求值次数。",
  "lab.closure.show": "显示求值点",
};
