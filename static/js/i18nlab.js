// The words of the torch.optim API lab (issue #15: param groups, zero_grad, changes of
// course at a step, state_dict(), step(closure)), in English and 简体中文, that the page
// shows before the row's "torch.optim API" section is opened (its summary, the inspector,
// the markers); i18n.js merges them into its dictionaries. The section's own words are in
// i18nlabpanel.js, loaded with it. PyTorch's names stay as PyTorch spells them.

export const LAB_EN = {
  "lab.summary": "torch.optim API",
  "lab.summaryOn": "torch.optim API · {what}",
  "lab.on.groups": "2 param groups",
  "lab.on.never": "no zero_grad()",
  "lab.on.events": "{n} at a step",

  "lab.events.schedulerBlocked": "Changes at a step are set (torch.optim API below): a scheduler would overwrite them at every step. Remove them to pick a scheduler.",
  "lab.events.marker": "{name}: change at step {k} ({how})",
  "lab.events.markerKeep": "state kept",
  "lab.events.markerReset": "optimizer re-created",

  "insp.gradSum": ".grad: the sum",
  "insp.gradSumTip": "zero_grad() is off: .grad was never cleared, so it holds ∇f(θ₀) + … + ∇f(θₖ₋₁), the sum of every gradient so far (each backward() added to it).",
  "insp.gradSumNote": "zero_grad() is off: the g row is .grad as optimizer.step() saw it, the sum of the gradients of steps 1 … {k}.",
  "insp.evals": "closure calls",
  "insp.evalsTip": "How many times optimizer.step(closure) evaluated the loss in step k (the small marks on the plot).",
  "insp.lrGroups": "lr (x, y)",
  "insp.lrGroupsTip": "Each param group's lr that step k used: param_groups[0][\"lr\"] for x, param_groups[1][\"lr\"] for y.",
  "insp.eventKeep": "After step {k} the values were changed by hand; the state carried on.",
  "insp.eventReset": "After step {k} the optimizer was built anew: its state started empty (step counts from 1 again).",
  "insp.stateDict": "optimizer.state_dict()",
  "insp.stateDictTip": "What print(optimizer.state_dict()) shows after step k, as PyTorch prints it (tensors with 4 decimals).",
  "insp.copy": "Copy",
  "insp.copied": "state_dict copied.",
  "insp.copyFailed": "Could not copy: select the text and copy it by hand.",
  "insp.stateDictPartial": "… : group y's own value of a number PyTorch keeps per parameter; the server sends group x's only.",

  "map.noLab": "Maps run without the torch.optim API options (param groups, zero_grad(), changes at a step).",
  "lr.groupX": "group x",
  "lr.groupY": "group y",
};

export const LAB_ZH = {
  "lab.summary": "torch.optim 接口",
  "lab.summaryOn": "torch.optim 接口 · {what}",
  "lab.on.groups": "2 个参数组",
  "lab.on.never": "不调用 zero_grad()",
  "lab.on.events": "{n} 处中途修改",

  "lab.events.schedulerBlocked": "已设置中途修改（见下方 torch.optim 接口）：调度器会在每一步覆盖它们。请先删除这些修改再选择调度器。",
  "lab.events.marker": "{name}：第 {k} 步之后修改（{how}）",
  "lab.events.markerKeep": "状态保留",
  "lab.events.markerReset": "重新创建优化器",

  "insp.gradSum": ".grad：累加和",
  "insp.gradSumTip": "zero_grad() 已关闭：.grad 从未清零，其中是 ∇f(θ₀) + … + ∇f(θₖ₋₁)，即到目前为止所有梯度之和（每次 backward() 都累加上去）。",
  "insp.gradSumNote": "zero_grad() 已关闭：g 这一行是 optimizer.step() 看到的 .grad，即第 1 … {k} 步梯度之和。",
  "insp.evals": "闭包调用次数",
  "insp.evalsTip": "第 k 步中 optimizer.step(closure) 计算损失的次数（图上的小标记）。",
  "insp.lrGroups": "lr（x, y）",
  "insp.lrGroupsTip": "第 k 步各参数组所用的学习率：x 为 param_groups[0][\"lr\"]，y 为 param_groups[1][\"lr\"]。",
  "insp.eventKeep": "第 {k} 步之后手动修改了数值，状态继续保留。",
  "insp.eventReset": "第 {k} 步之后重新创建了优化器：状态清空（step 又从 1 开始计数）。",
  "insp.stateDict": "optimizer.state_dict()",
  "insp.stateDictTip": "第 k 步之后 print(optimizer.state_dict()) 的输出，与 PyTorch 的打印格式一致（张量保留 4 位小数）。",
  "insp.copy": "复制",
  "insp.copied": "已复制 state_dict。",
  "insp.copyFailed": "无法复制：请选中文字后手动复制。",
  "insp.stateDictPartial": "…：PyTorch 为每个参数各存一份的数值中，y 组自己的那一份；服务器只发送 x 组的。",

  "map.noLab": "画图时不使用 torch.optim 接口的选项（参数组、zero_grad()、中途修改）。",
  "lr.groupX": "x 组",
  "lr.groupY": "y 组",
};
