"""Copy as PyTorch: a scene (the body of POST /api/v1/run) as a runnable Python script.

    pytorch_snippet(request_body, run_index=None) -> str

The script builds the surface as a torch function (generated from the parsed formula),
each run's `torch.optim.<Class>([param], **params)` (pytorch-optimizer classes for Lion,
AdaBelief, Yogi, Lookahead), its LR scheduler (nested ones included), and runs the loop
the reference recorder ran (../shared/reference/README.md): LBFGS with a closure,
ReduceLROnPlateau stepped with the loss, SparseAdam fed `grad.to_sparse()`, seeded
gradient noise drawn exactly as our engine draws it.  `python scene.py` prints a summary;
`python scene.py --json` prints every path, loss and lr as JSON.  Its paths are ours.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..engine.errors import RequestError
from ..engine.optim import REGISTRY as OPTIMIZERS
from ..engine.request import (RunRequest, events_of, groups_of, params_of, resolve_surface,
                              scheduler_of)
from ..engine.scene import start_of, validate_all
from .formula_code import plain_source, torch_source, uses_variables
from .labels import run_label

INDENT = "    "


def py(value: Any, pair: bool = False) -> str:
    """A JSON-shaped value as a Python literal (pairs as tuples, as PyTorch writes them)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "math.nan"
        if math.isinf(value):
            return "math.inf" if value > 0 else "-math.inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, (list, tuple)):
        items = ", ".join(py(v) for v in value)
        if pair:
            return f"({items},)" if len(value) == 1 else f"({items})"
        return f"[{items}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _string(text: str) -> str:
    """A double-quoted Python string literal; Chinese stays readable, anything that is not
    printable is escaped."""
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    return '"' + "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode()
                         for ch in body) + '"'


def _keyword(name: str) -> str:
    """A keyword argument's name; the request was validated by building the optimizers
    and schedulers, so anything else cannot occur, and is refused if it does."""
    if not (isinstance(name, str) and name.isidentifier() and name.isascii()):
        raise RequestError(("runs",), f"not a keyword argument: {name!r}")
    return name


def _kwargs(optimizer_id: str, params: dict) -> str:
    cls = OPTIMIZERS[optimizer_id]
    kinds = {h.name: h.kind for h in cls.hypers}
    out = []
    for name, value in params.items():
        _keyword(name)
        kind = kinds.get(name)
        if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        out.append(f"{name}={py(value, pair=kind == 'pair')}")
    return ", ".join(out)


def _class_ref(optimizer_id: str) -> str:
    cls = OPTIMIZERS[optimizer_id]
    return cls.torch_name if cls.family == "extra" else f"torch.optim.{cls.torch_name}"


def optimizer_expr(optimizer_id: str, params: dict, groups: dict | None = None,
                   settings: str | None = None) -> str:
    """`torch.optim.Adam([param], lr=0.05)`; with groups `torch.optim.Adam([{"params": [x],
    ...}, {"params": [y], ...}], lr=0.05)`; with `settings` (a variable name) the keywords
    are `**settings`.  Lookahead wraps its inner optimizer, which takes the groups."""
    if optimizer_id == "lookahead":
        params = dict(params)
        inner = params.pop("optimizer", None) or {"optimizer": "sgd", "params": {}}
        inner_expr = optimizer_expr(inner["optimizer"], dict(inner.get("params") or {}),
                                    groups, settings)
        rest = _kwargs("lookahead", params)
        return f"Lookahead({inner_expr}{', ' + rest if rest else ''})"
    if groups is None:
        where = "[param]"
    else:
        where = "[" + ", ".join(
            "{" + ", ".join([f'"params": [{c}]'] + [
                f"{py(_keyword(k))}: {py(v, pair=_kind(optimizer_id, k) == 'pair')}"
                for k, v in (groups.get(c) or {}).items()]) + "}"
            for c in ("x", "y")) + "]"
    kw = f"**{settings}" if settings else _kwargs(optimizer_id, params)
    return f"{_class_ref(optimizer_id)}({where}{', ' + kw if kw else ''})"


def _kind(optimizer_id: str, name: str) -> str | None:
    return next((h.kind for h in OPTIMIZERS[optimizer_id].hypers if h.name == name), None)


def _library_classes(optimizer_id: str, params: dict) -> set[str]:
    cls = OPTIMIZERS[optimizer_id]
    names = {cls.torch_name} if cls.family == "extra" else set()
    if optimizer_id == "lookahead":
        inner = params.get("optimizer") or {"optimizer": "sgd"}
        names |= _library_classes(inner["optimizer"], inner.get("params") or {})
    return names


def _needs_closure(optimizer_id: str, params: dict) -> bool:
    if optimizer_id == "lookahead":
        inner = params.get("optimizer") or {"optimizer": "sgd"}
        return _needs_closure(inner["optimizer"], inner.get("params") or {})
    return OPTIMIZERS[optimizer_id].needs_closure


def _sparse(optimizer_id: str, params: dict) -> bool:
    if optimizer_id == "lookahead":
        inner = params.get("optimizer") or {"optimizer": "sgd"}
        return inner["optimizer"] == "sparseadam"
    return optimizer_id == "sparseadam"


def scheduler_lines(spec: dict, names: list[str], top: bool = True) -> tuple[list[str], str]:
    """Lines building the scheduler (children first, in list order, as PyTorch needs
    them on the same optimizer) and the variable that holds it ("scheduler")."""
    lines: list[str] = []
    params = dict(spec.get("params") or {})
    name = spec["name"]
    children = params.pop("schedulers", None)
    child_vars = []
    for child in children or []:
        child_lines, var = scheduler_lines(child, names, top=False)
        lines += child_lines
        child_vars.append(var)
    var = "scheduler" if top else f"scheduler_{len(names) + 1}"
    names.append(var)
    kw = ", ".join(f"{_keyword(k)}={py(v)}" for k, v in params.items())
    if name == "ChainedScheduler":
        call = f"lr_scheduler.ChainedScheduler([{', '.join(child_vars)}], optimizer=optimizer)"
    elif name == "SequentialLR":
        call = (f"lr_scheduler.SequentialLR(optimizer, schedulers=[{', '.join(child_vars)}]"
                f"{', ' + kw if kw else ''})")
    else:
        call = f"lr_scheduler.{name}(optimizer{', ' + kw if kw else ''})"
    lines.append(f"{var} = {call}")
    return lines, var


def loop_source(noise: bool, sparse: bool, closure: bool, plateau: bool,
                groups: bool = False, never: bool = False, events: bool = False,
                data: bool = False, batched: bool = False) -> list[str]:
    """The `race` function, with only the branches this scene needs."""
    options = []
    if closure:
        options.append("closure_step=False")
    if sparse:
        options.append("sparse_grad=False")
    if noise:
        options += ["noise_std=0.0", "noise_seed=0"]
    if never:
        options.append("zero_grad=True")
    if events:
        options += ["events=None", "make_optimizer=None", "settings=None"]
    if batched:
        options.append("data=None")
    first = "def race(params, optimizer, scheduler=None" if groups else \
        "def race(param, optimizer, scheduler=None"
    sig = [first + (", *" if options else "")] + options
    lines, line = [], sig[0]
    for part in sig[1:]:
        if len(line) + len(part) + 2 > 88:
            lines.append(line + ",")
            line = INDENT * 2 + part
        else:
            line += ", " + part
    head = "\n".join(lines + [line]) + "):"
    src = ["", "", head,
           f'{INDENT}"""The loop of a PyTorch training script: path, loss and lr per step.',
           f"{INDENT}params: [param], the point, or [x, y], a parameter per coordinate.\"\"\""]
    if groups:
        src += ["",
                f"{INDENT}def coordinates():",
                f"{INDENT * 2}return (params[0][0], params[0][1]) if len(params) == 1 else "
                f"(params[0][0], params[1][0])", "",
                f"{INDENT}def point():",
                f"{INDENT * 2}return [v.item() for v in coordinates()]", "",
                f"{INDENT}def loss_here(*batch):",
                f"{INDENT * 2}return f(*coordinates(), *batch)", ""]
    else:
        src += [f"{INDENT}params = [param]", "",
                f"{INDENT}def point():",
                f"{INDENT * 2}return param.tolist()", "",
                f"{INDENT}def loss_here(*batch):",
                f"{INDENT * 2}return f(param[0], param[1], *batch)", ""]
    if noise:
        src.append(f"{INDENT}rng = np.random.default_rng(noise_seed) if noise_std > 0 else None")
    if batched:
        src += [f"{INDENT}batch = ()   # the step's mini-batch (xb, yb); () is all the data", ""]
    src += [f"{INDENT}def closure():"]
    if never:
        src += [f"{INDENT * 2}if zero_grad:   # else .grad is never cleared: each backward adds to it",
                f"{INDENT * 3}optimizer.zero_grad()"]
    else:
        src += [f"{INDENT * 2}optimizer.zero_grad()"]
    src += [f"{INDENT * 2}loss = loss_here(*batch)" if batched else f"{INDENT * 2}loss = loss_here()",
            f"{INDENT * 2}loss.backward()"]
    if noise:
        src += [f"{INDENT * 2}if rng is not None:",
                f"{INDENT * 3}# seeded Gaussian noise on every gradient: a stand-in for "
                f"mini-batch noise",
                f"{INDENT * 3}noise = torch.from_numpy(noise_std * rng.standard_normal(2))",
                f"{INDENT * 3}for i, p in enumerate(params):   # x, y: one number each",
                f"{INDENT * 4}p.grad += noise[i:i + p.numel()]"]
    if sparse:
        src += [f"{INDENT * 2}if sparse_grad:",
                f"{INDENT * 3}param.grad = param.grad.to_sparse()   # SparseAdam takes sparse "
                f"gradients"]
    src += [f"{INDENT * 2}return loss", "",
            f"{INDENT}with torch.no_grad():",
            f"{INDENT * 2}path, losses, lrs = [point()], [loss_here().item()], []"]
    if groups:
        src.append(f"{INDENT}group_lrs = []")
    if data:
        src.append(f"{INDENT}batch_losses = []   # each step's batch loss, where it started")
    if events:
        src += [f"{INDENT}events = events or {{}}",
                f"{INDENT}settings = dict(settings or {{}})"]
    src += [f'{INDENT}status = "ok"',
            f"{INDENT}for k in range(STEPS):"]
    if events:
        src += [f"{INDENT * 2}if k in events:   # change course after k steps",
                f"{INDENT * 3}how, changes = events[k]",
                f"{INDENT * 3}settings.update(changes)",
                f'{INDENT * 3}if how == "reset":   # a new optimizer, no load_state_dict: '
                f"its state starts empty",
                f"{INDENT * 4}optimizer = make_optimizer(**settings)",
                f"{INDENT * 3}else:   # by hand, as a training script changes lr",
                f"{INDENT * 4}for group in optimizer.param_groups:",
                f"{INDENT * 5}group.update(changes)"]
    if batched:
        src += [f"{INDENT * 2}if data is not None:",
                f"{INDENT * 3}batch = next(data)   # one mini-batch per step"]
    src.append(f'{INDENT * 2}lrs.append(optimizer.param_groups[0]["lr"])')
    if groups:
        src.append(f'{INDENT * 2}group_lrs.append([g["lr"] for g in optimizer.param_groups])')
    step_loss = "first = " if data or plateau else ""
    if closure:
        src += [f"{INDENT * 2}if closure_step:",
                f"{INDENT * 3}{step_loss}optimizer.step(closure)   # LBFGS evaluates f as often "
                f"as it needs",
                f"{INDENT * 2}else:",
                f"{INDENT * 3}{step_loss}closure()",
                f"{INDENT * 3}optimizer.step()"]
    else:
        src += [f"{INDENT * 2}{step_loss}closure()", f"{INDENT * 2}optimizer.step()"]
    if data:
        src.append(f"{INDENT * 2}batch_losses.append(first.item())")
    if plateau:
        src += [f"{INDENT * 2}if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):",
                f"{INDENT * 3}scheduler.step(first.item())   # the loss where this step started",
                f"{INDENT * 2}elif scheduler is not None:",
                f"{INDENT * 3}scheduler.step()"]
    else:
        src += [f"{INDENT * 2}if scheduler is not None:", f"{INDENT * 3}scheduler.step()"]
    src += [f"{INDENT * 2}with torch.no_grad():",
            f"{INDENT * 3}loss = loss_here().item()",
            f"{INDENT * 2}here = point()",
            f"{INDENT * 2}if not (all(map(math.isfinite, here)) and math.isfinite(loss)):",
            f'{INDENT * 3}status = "diverged"   # the first non-finite point ends the run',
            f"{INDENT * 3}lrs.pop()"]
    if groups:
        src.append(f"{INDENT * 3}group_lrs.pop()")
    if data:
        src.append(f"{INDENT * 3}batch_losses.pop()")
    src += [f"{INDENT * 3}break",
            f"{INDENT * 2}path.append(here)",
            f"{INDENT * 2}losses.append(loss)",
            f'{INDENT}out = {{"status": status, "steps_done": len(path) - 1, "path": path, '
            f'"loss": losses, "lr": lrs}}']
    if data:
        src.append(f'{INDENT}out["batch_loss"] = batch_losses')
    if groups:
        src += [f"{INDENT}if len(params) > 1:",
                f'{INDENT * 2}out["lrs"] = group_lrs   # each param group\'s lr']
    src.append(f"{INDENT}return out")
    return src


MAIN = '''

if __name__ == "__main__":
    if "--json" in sys.argv[1:]:
        print(json.dumps(results))
    else:
        for r in results:
            (x, y), loss = r["path"][-1], r["loss"][-1]
            print(f"{r['label']:<32} {r['status']:<8} steps={r['steps_done']:<6} "
                  f"final=({x:.6g}, {y:.6g}) loss={loss:.6g}")
'''


def _data_source(surface, batch) -> list[str]:
    """The data set as tensors, the model's loss on a batch of it (`f(w, b, xb, yb)`, the
    whole set by default) and, with mini-batches, a DataLoader that visits the data in the
    playground's order (api-v1.md: epoch e in numpy.random.default_rng([seed, e])
    .permutation(n), or data order without shuffle)."""
    data = surface.dataset
    module = "MSELoss" if surface.model == "linear" else "BCEWithLogitsLoss"
    what = "w * x + b" if surface.model == "linear" else "logit w * x + b"
    lines = ["", "",
             f"# the data: {_comment_safe(surface.name)} ({len(data.x)} points)",
             f"X = torch.tensor({py([float(v) for v in data.x])})",
             f"Y = torch.tensor({py([float(v) for v in data.y])})",
             f"loss_fn = torch.nn.{module}()", "", "",
             "def f(w, b, xb=X, yb=Y):",
             f'{INDENT}"""The {surface.model} model\'s loss ({what}) on a batch; all the data '
             f'by default."""',
             f"{INDENT}return loss_fn(w * xb + b, yb)"]
    if batch is not None:
        lines += ["", "",
                  f"BATCH, SEED, SHUFFLE = {batch.size}, {batch.seed}, {batch.shuffle}", "", "",
                  "class PlaygroundOrder(torch.utils.data.Sampler):",
                  f'{INDENT}"""Epoch e visits the data in numpy.random.default_rng([SEED, e])'
                  f'.permutation(n)."""', "",
                  f"{INDENT}def __init__(self, n):",
                  f"{INDENT * 2}self.n, self.epoch = n, 0", "",
                  f"{INDENT}def __iter__(self):",
                  f"{INDENT * 2}order = (np.random.default_rng([SEED, self.epoch]).permutation(self.n)"
                  f" if SHUFFLE and self.n > 1",
                  f"{INDENT * 10}else np.arange(self.n))",
                  f"{INDENT * 2}self.epoch += 1",
                  f"{INDENT * 2}return iter(order.tolist())", "",
                  f"{INDENT}def __len__(self):",
                  f"{INDENT * 2}return self.n", "", "",
                  "def batches():",
                  f'{INDENT}"""Mini-batches, epoch after epoch, as a DataLoader cuts them."""',
                  f"{INDENT}loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, Y),",
                  f"{INDENT * 9}batch_size=BATCH, sampler=PlaygroundOrder(len(X)))",
                  f"{INDENT}while True:",
                  f"{INDENT * 2}yield from loader"]
    return lines


def _surface_function(surface) -> list[str]:
    tree = surface.formula.tree
    body = torch_source(tree)
    if not uses_variables(tree):
        body = f"0 * x + {body}"           # a constant surface: still a tensor of x
    title = surface.name if surface.id != "custom" else "a custom surface"
    return [
        "",
        "",
        "def f(x, y):",
        f'{INDENT}"""{_docstring_safe(title)}: f(x, y) = {plain_source(tree)}"""',
        f"{INDENT}return {body}",
    ]


def _docstring_safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable() and ch not in '"\\')


def _run_block(i: int, run, label: str, grouped_scene: bool, batched: bool) -> list[str]:
    params = params_of(run)
    groups, events = groups_of(run), events_of(run)
    lines = ["", f"# run {i + 1}: {_comment_safe(label)}"]
    if groups is not None:
        lines += ["x = torch.tensor(START[:1], requires_grad=True)   # a parameter per "
                  "coordinate,",
                  "y = torch.tensor(START[1:], requires_grad=True)   # each in its own param group"]
        first = "[x, y]"
    else:
        lines.append("param = torch.tensor(START, requires_grad=True)")
        first = "[param]" if grouped_scene else "param"
    if events:
        settings = _settings(run.optimizer, params)
        lines += ["", "", "def make_optimizer(**settings):",
                  f"{INDENT}return {optimizer_expr(run.optimizer, params, groups, 'settings')}",
                  "", "",
                  f"settings = {_values(run.optimizer, params, settings)}",
                  "optimizer = make_optimizer(**settings)"]
    else:
        lines.append(f"optimizer = {optimizer_expr(run.optimizer, params, groups)}")
    sched_var = None
    if run.scheduler is not None:
        sched_lines, sched_var = scheduler_lines(scheduler_of(run), [])
        lines += sched_lines
    args = [first, "optimizer"] + ([sched_var] if sched_var else [])
    if _needs_closure(run.optimizer, params):
        args.append("closure_step=True")
    if _sparse(run.optimizer, params):
        args.append("sparse_grad=True")
    if run.noise is not None and run.noise.std > 0:
        args += [f"noise_std={py(float(run.noise.std))}", f"noise_seed={run.noise.seed}"]
    if run.zero_grad == "never":
        args.append("zero_grad=False")
    if batched:
        args.append("data=batches()")   # the same batches, in the same order, for every run
    if events:
        table = "{" + ", ".join(f"{e['at']}: ({py(e['state'])}, "
                                f"{_values(run.optimizer, params, e['params'])})"
                                for e in events) + "}"
        lines.append(f"events = {table}")
        args += ["events=events", "make_optimizer=make_optimizer", "settings=settings"]
    lines.append(f"results.append({{\"label\": {py(label)}, \"optimizer\": "
                 f"{py(run.optimizer)}, **race({', '.join(args)})}})")
    return lines


def _settings(optimizer_id: str, params: dict) -> dict:
    """The keywords make_optimizer takes: the run's params (Lookahead's inner optimizer's:
    its param groups are the inner one's)."""
    if optimizer_id == "lookahead":
        return dict((params.get("optimizer") or {}).get("params") or {})
    return dict(params)


def _values(optimizer_id: str, params: dict, values: dict) -> str:
    """A dict of keywords of the optimizer whose param groups they are, as a literal:
    pairs as tuples, as the constructor's own keywords are written (betas=(0.9, 0.99))."""
    owner = optimizer_id
    if optimizer_id == "lookahead":
        owner = (params.get("optimizer") or {}).get("optimizer", "sgd")
    def literal(k, v):
        kind = _kind(owner, k)
        if kind == "float" and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        return py(v, pair=kind == "pair")
    return "{" + ", ".join(f"{py(_keyword(k))}: {literal(k, v)}" for k, v in values.items()) + "}"


def _comment_safe(text: str) -> str:
    """A label in a comment: printable characters only (no line break can end it)."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def pytorch_snippet(request_body: dict | RunRequest, run_index: int | None = None) -> str:
    """The scene as a Python script; `run_index` keeps one run (0-based).  Raises
    pydantic's ValidationError or RequestError for a request the API would refuse."""
    req = request_body if isinstance(request_body, RunRequest) \
        else RunRequest.model_validate(request_body)
    validate_all(req)
    runs = list(enumerate(req.runs))
    if run_index is not None:
        if not 0 <= run_index < len(runs):
            raise RequestError(("run",), f"run {run_index} does not exist: the request "
                                         f"has {len(runs)} run(s), counted from 0")
        runs = [runs[run_index]]
    surface = resolve_surface(req.surface)
    start = start_of(req, surface)

    library: set[str] = set()
    noise = sparse = closure = plateau = groups = never = events = False
    for _, run in runs:
        params = params_of(run)
        library |= _library_classes(run.optimizer, params)
        noise |= run.noise is not None and run.noise.std > 0
        sparse |= _sparse(run.optimizer, params)
        closure |= _needs_closure(run.optimizer, params)
        plateau |= (scheduler_of(run) or {}).get("name") == "ReduceLROnPlateau"
        groups |= run.groups is not None
        never |= run.zero_grad == "never"
        events |= bool(run.events)

    data = hasattr(surface, "dataset")                  # a surface from data
    batched = data and getattr(req, "batch", None) is not None
    needs_numpy = noise or batched
    if data:
        where = f"the {surface.model} model's loss over {surface.name}, p = (w, b)"
    else:
        where = surface.name if surface.id != "custom" else "a custom surface"
    lines = [
        f"# Optimizer Playground scene, as plain PyTorch: {len(runs)} run(s) of "
        f"{req.steps} steps on {_comment_safe(where)}.",
        "#   python scene.py           prints where each run ends",
        "#   python scene.py --json    prints every path, loss and lr as JSON",
        "# Needs: pip install torch" + (" numpy" if needs_numpy else "")
        + (" pytorch-optimizer==4.1.0" if library else "")
        + "   (the playground matches torch 2.13 in float64)",
        "import json",
        "import math",
        "import sys",
        "",
    ]
    if needs_numpy:
        lines.append("import numpy as np")
    lines += ["import torch", "from torch.optim import lr_scheduler"]
    if library:
        lines.append(f"from pytorch_optimizer import {', '.join(sorted(library))}")
    lines += ["", "torch.set_default_dtype(torch.float64)   # float64, as the playground computes"]
    lines += _data_source(surface, req.batch if batched else None) if data \
        else _surface_function(surface)
    lines += ["", "", f"START = {py([float(start[0]), float(start[1])])}",
              f"STEPS = {req.steps}"]
    lines += loop_source(noise, sparse, closure, plateau, groups, never, events, data, batched)
    lines += ["", "", "results = []"]
    for i, run in runs:
        dumped = run.model_dump(exclude_unset=True)
        dumped["params"] = params_of(run)
        lines += _run_block(i, run, run_label(dumped), groups, batched)
    lines += MAIN.rstrip("\n").split("\n")
    return "\n".join(lines) + "\n"
