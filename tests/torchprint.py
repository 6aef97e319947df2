"""What print(optimizer.state_dict()) shows beyond the numbers, read from real PyTorch 2.13
(and pytorch-optimizer 4.1.0): per optimizer, its param group's keys in torch's order with
torch's own default values as Python writes them (foreach, fused, ... included; 0 where
torch's default is the integer 0), the kind of each state entry (a tensor, a Python int,
float or list) in the order torch fills them, and the group keys that count steps
(pytorch-optimizer's 'step'). The page formats optimizer.state_dict() from it
(static/js/statedict.js); tests/test_state_dict_text.py holds the file to this.

    python -m tests.torchprint      rewrites static/js/torchprint.json
"""

from __future__ import annotations

import json

from tests.conftest import REPO

OUT = REPO / "static" / "js" / "torchprint.json"

# Hyperparameters that make an optimizer fill every state entry it can (amsgrad's
# max_exp_avg_sq, RMSprop's momentum_buffer and grad_avg, ...), so their order is known.
RICH = {"adam": {"amsgrad": True}, "adamw": {"amsgrad": True}, "sgd": {"momentum": 0.9},
        "rmsprop": {"momentum": 0.9, "centered": True},
        "adabelief": {"ams_bound": True}}


def _class(torch, oid: str):
    import pytorch_optimizer

    from app.engine.optim import REGISTRY
    cls = REGISTRY[oid]
    return getattr(torch.optim, cls.torch_name) if cls.family == "torch" \
        else getattr(pytorch_optimizer, cls.torch_name)


def _kind(v) -> str:
    import torch
    if isinstance(v, torch.Tensor):
        return "tensor"
    if isinstance(v, bool):
        return "bool"
    return {int: "int", float: "float", list: "list"}.get(type(v), type(v).__name__)


def _run(torch, make, steps: int, sparse: bool = False):
    x = torch.tensor([1.0, -0.5], requires_grad=True)
    opt = make([x])

    def closure():
        opt.zero_grad()
        loss = (x ** 2).sum() + x[0] * x[1]
        loss.backward()
        if sparse:
            x.grad = x.grad.to_sparse()
        return loss

    for _ in range(steps):
        opt.step(closure)
    return opt, x


def _entry(torch, oid: str) -> dict:
    from app.engine.optim import REGISTRY
    cls = _class(torch, oid)
    lr = next((h.default for h in REGISTRY[oid].hypers if h.name == "lr"), None)
    # The page always sends lr, as a float: torch then holds it (and LBFGS's t) as one.
    kw = {"lr": float(lr)} if lr is not None else {}
    fresh, _ = _run(torch, lambda p: cls(p), 0)
    group = [[k, repr(v)] for k, v in fresh.param_groups[0].items() if k != "params"]
    rich = {**kw, **RICH.get(oid, {})}
    built, _ = _run(torch, lambda p: cls(p, **rich), 0)
    stepped, x = _run(torch, lambda p: cls(p, **rich), 2, sparse=oid == "sparseadam")
    counters = [k for k in stepped.param_groups[0] if k not in built.param_groups[0]]
    state = [[k, _kind(v)] for k, v in stepped.state[x].items()]
    return {"group": group, "state": state, "counters": counters}


def _lookahead(torch) -> dict:
    from pytorch_optimizer import Lookahead
    opt, x = _run(torch, lambda p: Lookahead(torch.optim.SGD(p, lr=0.1, momentum=0.9),
                                             pullback_momentum="pullback"), 2)
    inner_keys = set(torch.optim.SGD([torch.zeros(1, requires_grad=True)]).param_groups[0])
    extra = [k for k in opt.optimizer.param_groups[0] if k not in inner_keys]
    state = [[k, _kind(v)] for k, v in opt.state[x].items()]
    return {"group_extra": extra, "state": state}


def build_table() -> dict:
    import torch

    from app.engine.optim import REGISTRY
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        table = {oid: _entry(torch, oid) for oid in REGISTRY if oid != "lookahead"}
        table["lookahead"] = _lookahead(torch)
    finally:
        torch.set_default_dtype(old)
    return {"_about": "Read from torch 2.13 and pytorch-optimizer 4.1.0 by tests/torchprint.py "
                      "(python -m tests.torchprint writes it): each optimizer's param group "
                      "keys and torch's default values as repr() writes them, its state "
                      "entries' kinds in torch's order, the group keys that count steps; "
                      "Lookahead's own state and the key it adds to its inner optimizer's "
                      "groups. static/js/statedict.js prints optimizer.state_dict() with it.",
            "torch": torch.__version__.split("+")[0],
            "optimizers": dict(sorted(table.items()))}


def dumps(table: dict) -> str:
    lines = ["{", f'  "_about": {json.dumps(table["_about"])},',
             f'  "torch": {json.dumps(table["torch"])},', '  "optimizers": {']
    items = list(table["optimizers"].items())
    for i, (oid, entry) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"    {json.dumps(oid)}: {json.dumps(entry, ensure_ascii=False)}{comma}")
    lines += ["  }", "}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    OUT.write_text(dumps(build_table()), encoding="utf-8")
    print(f"wrote {OUT}")
