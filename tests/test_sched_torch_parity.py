"""app.engine.sched against torch.optim.lr_scheduler (PyTorch 2.13), on random settings.

The loop is the reference one: lr[k] = group["lr"] before optimizer step k + 1, then
optimizer.step(), then scheduler.step() (ReduceLROnPlateau: step(metric[k])).  Every lr,
every momentum / betas value and get_last_lr() must agree to 1e-12 relative (in practice
they are bit-identical).  Also: torch's validation messages, the steps at which torch
itself raises, and batch (array-valued) groups.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler as L  # noqa: E402

from app.engine.optim.base import HyperparameterError  # noqa: E402
from app.engine.sched import REGISTRY, ScheduleError, build_scheduler, catalogue  # noqa: E402

torch.set_default_dtype(torch.float64)
RTOL = 1e-12

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- the two sides ---------------------------------------------------------------------------
class FakeOptimizer:
    """What a scheduler sees of an optimizer: the group dict and the defaults' keys."""

    def __init__(self, group: dict, defaults):
        self.group = group
        self.defaults = defaults


def make_torch_optimizer(kind: str, lr: float, **kw):
    p = torch.zeros(2, requires_grad=True)
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop,
           "adagrad": torch.optim.Adagrad, "adamw": torch.optim.AdamW}[kind]
    return cls([p], lr=lr, **kw)


def mirror(topt) -> FakeOptimizer:
    group = {k: v for k, v in topt.param_groups[0].items() if k != "params"}
    return FakeOptimizer(group, set(topt.defaults))


def torch_scheduler(spec: dict, opt):
    name, params = spec["name"], dict(spec.get("params") or {})
    cls = getattr(L, name)
    if name in ("SequentialLR", "ChainedScheduler"):
        children = [torch_scheduler(c, opt) for c in params.pop("schedulers")]
        if name == "SequentialLR":
            return cls(opt, schedulers=children, **params)
        return cls(children, optimizer=opt)
    return cls(opt, **params)


def momentum_of(group: dict):
    if "betas" in group:
        return tuple(group["betas"])
    return group.get("momentum")


def close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    a, b = float(a), float(b)
    if a == b:
        return True
    return abs(a - b) <= RTOL * max(abs(a), abs(b))


WORST = {"lr": 0.0, "momentum": 0.0, "runs": 0, "steps": 0}


def rel(a, b) -> float:
    if isinstance(a, tuple):
        return max(rel(x, y) for x, y in zip(a, b))
    if a is None or float(a) == float(b):
        return 0.0
    return abs(float(a) - float(b)) / max(abs(float(a)), abs(float(b)))


def run_both(spec: dict, kind: str, opt_kw: dict, n: int, metrics=None):
    """Run torch's and our scheduler side by side; return the max relative lr difference
    (WORST keeps the largest differences seen, for the bit-exactness check at the end)."""
    lr = opt_kw.pop("lr", 0.1)
    topt = make_torch_optimizer(kind, lr, **opt_kw)
    fake = mirror(topt)
    tsched = torch_scheduler(spec, topt)
    sched = build_scheduler(spec, fake)
    tg, g = topt.param_groups[0], fake.group
    worst = 0.0
    for k in range(n):
        a, b = g["lr"], tg["lr"]
        assert close(a, b), f"{spec}: lr[{k}] = {a!r}, torch {b!r}"
        worst = max(worst, rel(a, b))
        assert close(momentum_of(g), momentum_of(tg)), \
            f"{spec}: momentum[{k}] = {momentum_of(g)}, torch {momentum_of(tg)}"
        WORST["momentum"] = max(WORST["momentum"], rel(momentum_of(g), momentum_of(tg)))
        topt.step()
        if metrics is not None:
            tsched.step(metrics[k])
            sched.step(metrics[k])
        else:
            tsched.step()
            sched.step()
    assert close(g["lr"], tg["lr"])
    assert close(sched.get_last_lr()[0], tsched.get_last_lr()[0])
    WORST["lr"] = max(WORST["lr"], worst)
    WORST["runs"] += 1
    WORST["steps"] += n
    for key in ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"):
        assert (key in g) == (key in tg), key
        if key in g:
            assert close(g[key], tg[key]), key
    return worst


# -- random settings, one generator per scheduler ----------------------------------------------
def _lr(rng):
    return float(10 ** rng.uniform(-3, 0))


def gen_step(rng):
    return {"step_size": int(rng.integers(1, 60)), "gamma": float(rng.uniform(0.05, 1.3))}


def gen_multistep(rng):
    ms = [int(x) for x in rng.integers(0, 300, size=int(rng.integers(0, 6)))]
    if ms and rng.random() < 0.3:
        ms.append(ms[0])                      # a repeated milestone counts twice
    return {"milestones": ms, "gamma": float(rng.uniform(0.05, 1.3))}


def gen_exponential(rng):
    return {"gamma": float(rng.uniform(0.9, 1.02))}


def gen_constant(rng):
    return {"factor": float(rng.choice([rng.uniform(0.01, 1.0), 1.0])),
            "total_iters": int(rng.integers(0, 200))}


def gen_linear(rng):
    return {"start_factor": float(rng.uniform(0.01, 1.0)),
            "end_factor": float(rng.choice([rng.uniform(0.0, 1.0), 1.0, 0.0])),
            "total_iters": int(rng.integers(0, 200))}


def gen_polynomial(rng):
    return {"total_iters": int(rng.integers(0, 300)), "power": float(rng.uniform(0.1, 4.0))}


def gen_cosine(rng):
    return {"T_max": int(rng.integers(1, 150)), "eta_min": float(rng.choice([0.0, rng.uniform(0, 1e-3)]))}


def gen_warm_restarts(rng):
    return {"T_0": int(rng.integers(1, 60)), "T_mult": int(rng.integers(1, 4)),
            "eta_min": float(rng.choice([0.0, rng.uniform(0, 1e-3)]))}


def gen_cyclic(rng):
    base = _lr(rng) / 10
    p = {"base_lr": base, "max_lr": base * float(rng.uniform(1.5, 30)),
         "step_size_up": int(rng.integers(1, 60)),
         "mode": str(rng.choice(["triangular", "triangular2", "exp_range"])),
         "cycle_momentum": bool(rng.random() < 0.7)}
    if rng.random() < 0.6:
        p["step_size_down"] = int(rng.integers(0, 60))
    if p["mode"] == "exp_range" or rng.random() < 0.3:
        p["gamma"] = float(rng.uniform(0.97, 1.0))
    if rng.random() < 0.5:
        p["base_momentum"] = float(rng.uniform(0.5, 0.85))
        p["max_momentum"] = float(rng.uniform(0.86, 0.99))
    return p


def gen_onecycle(rng, n=None):
    p = {"max_lr": _lr(rng), "pct_start": float(rng.uniform(0.05, 0.95)),
         "anneal_strategy": str(rng.choice(["cos", "linear"])),
         "three_phase": bool(rng.random() < 0.4), "cycle_momentum": bool(rng.random() < 0.7),
         "div_factor": float(rng.uniform(2, 100)), "final_div_factor": float(10 ** rng.uniform(1, 5))}
    if rng.random() < 0.3:
        p["epochs"], p["steps_per_epoch"] = int(rng.integers(2, 10)), int(rng.integers(5, 40))
    else:
        p["total_steps"] = int(rng.integers(10, 300)) if n is None else int(rng.integers(n, n + 50))
    if rng.random() < 0.5:
        p["base_momentum"] = float(rng.uniform(0.5, 0.85))
        p["max_momentum"] = float(rng.uniform(0.86, 0.99))
    return p


def onecycle_total(p):
    return p["total_steps"] if "total_steps" in p else p["epochs"] * p["steps_per_epoch"]


GENERATORS = {
    "StepLR": gen_step, "MultiStepLR": gen_multistep, "ExponentialLR": gen_exponential,
    "ConstantLR": gen_constant, "LinearLR": gen_linear, "PolynomialLR": gen_polynomial,
    "CosineAnnealingLR": gen_cosine, "CosineAnnealingWarmRestarts": gen_warm_restarts,
    "CyclicLR": gen_cyclic,
}
OPTIMIZERS = [("sgd", {"momentum": 0.9}), ("sgd", {}), ("adam", {}), ("rmsprop", {"momentum": 0.5}),
              ("adamw", {"betas": (0.8, 0.99)})]


def random_optimizer(rng, needs_momentum: bool):
    choices = OPTIMIZERS if needs_momentum else OPTIMIZERS + [("adagrad", {})]
    kind, kw = choices[int(rng.integers(len(choices)))]
    return kind, {**kw, "lr": _lr(rng)}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_simple_schedulers_match_torch(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    for _ in range(14):
        params = GENERATORS[name](rng)
        kind, kw = random_optimizer(rng, params.get("cycle_momentum", False))
        n = int(rng.integers(50, 301))
        run_both({"name": name, "params": params}, kind, kw, n)


def test_defaults_match_torch():
    """Every optional keyword left out: torch's defaults."""
    required = {"StepLR": {"step_size": 7}, "MultiStepLR": {"milestones": [3, 9]},
                "ExponentialLR": {"gamma": 0.9}, "CosineAnnealingLR": {"T_max": 20},
                "CosineAnnealingWarmRestarts": {"T_0": 6},
                "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1},
                "OneCycleLR": {"max_lr": 0.5, "total_steps": 120}}
    for name in GENERATORS.keys() | {"OneCycleLR"}:
        for kind, kw in (("sgd", {"momentum": 0.9}), ("adam", {})):
            run_both({"name": name, "params": required.get(name, {})}, kind, dict(kw), 120)


def test_cosine_warm_restarts_with_growing_periods():
    for T_0, T_mult in ((1, 2), (3, 2), (5, 3), (2, 5), (10, 2)):
        run_both({"name": "CosineAnnealingWarmRestarts",
                  "params": {"T_0": T_0, "T_mult": T_mult, "eta_min": 1e-4}},
                 "adam", {"lr": 0.3}, 300)


def test_cyclic_modes_and_momentum():
    for mode in ("triangular", "triangular2", "exp_range"):
        for kind, kw in (("sgd", {"momentum": 0.9}), ("adam", {}), ("rmsprop", {"momentum": 0.3})):
            for down in (None, 0, 7, 40):
                run_both({"name": "CyclicLR", "params": {
                    "base_lr": 0.003, "max_lr": 0.03, "step_size_up": 13, "step_size_down": down,
                    "mode": mode, "gamma": 0.995}}, kind, dict(kw), 300)


def test_onecycle_matches_torch():
    rng = np.random.default_rng(11)
    for three_phase in (False, True):
        for anneal in ("cos", "linear"):
            for kind, kw in (("sgd", {"momentum": 0.9}), ("sgd", {}), ("adam", {}),
                             ("rmsprop", {"momentum": 0.5}), ("adagrad", {})):
                p = gen_onecycle(rng)
                p.update(three_phase=three_phase, anneal_strategy=anneal)
                if kind == "adagrad":
                    p["cycle_momentum"] = False
                run_both({"name": "OneCycleLR", "params": p}, kind, dict(kw), onecycle_total(p))


def test_plateau_matches_torch():
    rng = np.random.default_rng(5)
    for case in range(40):
        n = int(rng.integers(100, 301))
        k = np.arange(n)
        # a decreasing curve with noise and flat stretches, so that every branch is taken
        metric = 10 * np.exp(-k / rng.uniform(20, 200)) + rng.normal(0, 0.05, n)
        metric[rng.random(n) < 0.2] = metric[0]
        mode = str(rng.choice(["min", "max"]))
        if mode == "max":
            metric = -metric
        params = {"mode": mode, "factor": float(rng.uniform(0.05, 0.95)),
                  "patience": int(rng.integers(0, 15)),
                  "threshold": float(rng.choice([0.0, 1e-4, rng.uniform(0, 0.1)])),
                  "threshold_mode": str(rng.choice(["rel", "abs"])),
                  "cooldown": int(rng.integers(0, 10)),
                  "min_lr": float(rng.choice([0.0, rng.uniform(0, 1e-3)])),
                  "eps": float(rng.choice([1e-8, 0.0, 1e-4]))}
        kind, kw = random_optimizer(rng, False)
        run_both({"name": "ReduceLROnPlateau", "params": params}, kind, kw, n,
                 metrics=[float(x) for x in metric])


# -- composites -----------------------------------------------------------------------------
LEAVES = sorted(GENERATORS) + ["OneCycleLR"]


def random_leaf(rng, n):
    name = LEAVES[int(rng.integers(len(LEAVES)))]
    if name == "OneCycleLR":
        p = gen_onecycle(rng, n)
        p.pop("epochs", None), p.pop("steps_per_epoch", None)
        p["total_steps"] = int(rng.integers(n, n + 50))
    else:
        p = GENERATORS[name](rng)
    if name in ("CyclicLR", "OneCycleLR"):
        p["cycle_momentum"] = True
    return {"name": name, "params": p}


def random_sequential(rng, n, depth=1):
    m = int(rng.integers(1, 5))
    children = [random_leaf(rng, n) for _ in range(m)]
    if depth < 3 and rng.random() < 0.35:
        # a nested composite is only possible first: torch cannot switch to one later
        children[0] = (random_chained(rng, n, depth + 1) if rng.random() < 0.5
                       else random_sequential(rng, n, depth + 1))
    cuts = sorted(int(x) for x in rng.integers(0 if rng.random() < 0.1 else 1, n, size=m - 1))
    return {"name": "SequentialLR", "params": {"schedulers": children, "milestones": cuts}}


def random_chained(rng, n, depth=1):
    m = int(rng.integers(1, 5))
    children = [random_leaf(rng, n) for _ in range(m)]
    if depth < 3 and rng.random() < 0.35:
        i = int(rng.integers(m))
        children[i] = (random_sequential(rng, n, depth + 1) if rng.random() < 0.6
                       else random_chained(rng, n, depth + 1))
    return {"name": "ChainedScheduler", "params": {"schedulers": children}}


@pytest.mark.parametrize("which", ["SequentialLR", "ChainedScheduler"])
def test_composites_match_torch(which):
    rng = np.random.default_rng(3 if which == "SequentialLR" else 4)
    for _ in range(40):
        n = int(rng.integers(50, 301))
        spec = random_sequential(rng, n) if which == "SequentialLR" else random_chained(rng, n)
        kind, kw = (("sgd", {"momentum": 0.9}), ("adam", {}), ("rmsprop", {"momentum": 0.2}))[
            int(rng.integers(3))]
        run_both(spec, kind, {**kw, "lr": _lr(rng)}, n)


def test_reference_composites():
    """The two composite cases of the reference trajectories, and a few classic recipes."""
    specs = [
        {"name": "SequentialLR", "params": {"schedulers": [
            {"name": "LinearLR", "params": {"start_factor": 0.1, "total_iters": 20}},
            {"name": "CosineAnnealingLR", "params": {"T_max": 180}}], "milestones": [20]}},
        {"name": "ChainedScheduler", "params": {"schedulers": [
            {"name": "LinearLR", "params": {"start_factor": 0.25, "total_iters": 30}},
            {"name": "StepLR", "params": {"step_size": 50, "gamma": 0.5}}]}},
        {"name": "SequentialLR", "params": {"schedulers": [
            {"name": "ConstantLR", "params": {"factor": 0.1, "total_iters": 10}},
            {"name": "ExponentialLR", "params": {"gamma": 0.98}},
            {"name": "CosineAnnealingWarmRestarts", "params": {"T_0": 30, "T_mult": 2}},
            {"name": "OneCycleLR", "params": {"max_lr": 0.2, "total_steps": 200}},
            {"name": "CyclicLR", "params": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 9}}],
            "milestones": [10, 60, 120, 200]}},
        {"name": "SequentialLR", "params": {"schedulers": [       # unsorted milestones
            {"name": "ExponentialLR", "params": {"gamma": 0.97}},
            {"name": "CosineAnnealingLR", "params": {"T_max": 25}},
            {"name": "LinearLR", "params": {"start_factor": 0.5}}], "milestones": [40, 15]}},
        {"name": "SequentialLR", "params": {"schedulers": [
            {"name": "StepLR", "params": {"step_size": 3}},
            {"name": "PolynomialLR", "params": {"total_iters": 40}}], "milestones": [0]}},
    ]
    for spec in specs:
        for kind, kw in (("sgd", {"momentum": 0.9}), ("adam", {})):
            run_both(spec, kind, {**kw, "lr": 0.3}, 300)


# -- where torch itself fails ---------------------------------------------------------------
FAILING = [
    # (spec, optimizer, the 1-based scheduler step at which torch raises)
    ({"name": "ConstantLR", "params": {"factor": 0.0, "total_iters": 7}}, "sgd", 7),
    ({"name": "PolynomialLR", "params": {"total_iters": 9, "power": -1.0}}, "sgd", 9),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 25}}, "adam", 26),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.0}}, "adam", 10),
    ({"name": "CyclicLR", "params": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 1,
                                     "step_size_down": 1, "mode": "exp_range", "gamma": 2.0}}, "adam", 1024),
    ({"name": "CyclicLR", "params": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 1,
                                     "step_size_down": 1, "mode": "triangular2"}}, "adam", 2048),
    ({"name": "SequentialLR", "params": {"schedulers": [
        {"name": "ExponentialLR", "params": {"gamma": 0.5}},
        {"name": "ChainedScheduler", "params": {"schedulers": [
            {"name": "StepLR", "params": {"step_size": 2}}]}}], "milestones": [5]}}, "sgd", 5),
    ({"name": "ChainedScheduler", "params": {"schedulers": [
        {"name": "StepLR", "params": {"step_size": 2}},
        {"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 30}}]}}, "sgd", 31),
]


@pytest.mark.parametrize("spec,kind,at", FAILING)
def test_failures_happen_where_torch_fails(spec, kind, at):
    topt = make_torch_optimizer(kind, 0.1)
    fake = mirror(topt)
    tsched, sched = torch_scheduler(spec, topt), build_scheduler(spec, fake)
    for k in range(1, at):
        tsched.step()
        sched.step()
        assert close(fake.group["lr"], topt.param_groups[0]["lr"])
    with pytest.raises(Exception) as te:
        tsched.step()
    with pytest.raises(Exception) as me:
        sched.step()
    if te.type is NotImplementedError:
        assert me.type is ScheduleError
    else:
        assert me.type is te.type and str(me.value) == str(te.value)
    # the replay at build time refuses exactly the runs torch cannot finish
    build_scheduler(spec, mirror(make_torch_optimizer(kind, 0.1)), steps=at - 1)
    with pytest.raises(HyperparameterError) as he:
        build_scheduler(spec, mirror(make_torch_optimizer(kind, 0.1)), steps=at + 3)
    assert f"step {at} of {at + 3}" in he.value.message


def _extreme_leaf(rng):
    """Settings at the edges of what torch accepts."""
    name = str(rng.choice(LEAVES))
    big = float(rng.choice([0.5, 1.5, 1e3, 1e200, -2.0, 1.0]))
    if name == "StepLR":
        return {"name": name, "params": {"step_size": int(rng.integers(1, 4)), "gamma": big}}
    if name == "MultiStepLR":
        return {"name": name, "params": {"milestones": [0, 1, 1, 2, 2, 2], "gamma": big}}
    if name == "ExponentialLR":
        return {"name": name, "params": {"gamma": big}}
    if name == "ConstantLR":
        return {"name": name, "params": {"factor": float(rng.choice([0.0, 0.5])),
                                         "total_iters": int(rng.integers(-2, 5))}}
    if name == "LinearLR":
        return {"name": name, "params": {"start_factor": float(rng.choice([1e-300, 0.5])),
                                         "end_factor": float(rng.choice([0.0, 1.0])),
                                         "total_iters": int(rng.integers(-2, 5))}}
    if name == "PolynomialLR":
        return {"name": name, "params": {"total_iters": int(rng.integers(-2, 5)),
                                         "power": float(rng.choice([-2.0, 0.0, 1e3, 2.0]))}}
    if name == "CosineAnnealingLR":
        return {"name": name, "params": {"T_max": int(rng.integers(1, 4)), "eta_min": big}}
    if name == "CosineAnnealingWarmRestarts":
        return {"name": name, "params": {"T_0": int(rng.integers(1, 3)),
                                         "T_mult": int(rng.integers(1, 3)), "eta_min": big}}
    if name == "CyclicLR":
        return {"name": name, "params": {
            "base_lr": 0.01, "max_lr": big, "step_size_up": 1, "step_size_down": int(rng.integers(0, 2)),
            "mode": str(rng.choice(["triangular", "triangular2", "exp_range"])),
            "gamma": float(rng.choice([0.5, 1.0, 1.01, 2.0, -3.0]))}}
    return {"name": name, "params": {
        "max_lr": 0.1, "total_steps": int(rng.integers(1, 2500)),
        "pct_start": float(rng.choice([0.0, 0.5, 1.0, rng.random()])),
        "three_phase": bool(rng.random() < 0.5)}}


def test_the_replay_is_skipped_only_where_torch_cannot_fail():
    """can_fail() lets build_scheduler(steps=...) skip the replay: it must never say
    False for a run in which torch raises."""
    rng = np.random.default_rng(21)
    seen = {"raised": 0, "skipped": 0}
    for i in range(400):
        spec = _extreme_leaf(rng)
        if i % 3 == 1:
            spec = {"name": "ChainedScheduler", "params": {"schedulers": [_extreme_leaf(rng), spec]}}
        elif i % 3 == 2:
            spec = {"name": "SequentialLR", "params": {"schedulers": [_extreme_leaf(rng), spec],
                                                       "milestones": [int(rng.integers(0, 4))]}}
        steps = 2100
        try:
            sched = build_scheduler(spec, FakeOptimizer({"lr": 0.1, "betas": (0.9, 0.99)}, {"lr", "betas"}))
        except HyperparameterError:
            continue
        fails = sched.can_fail(steps)
        seen["skipped"] += not fails
        with np.errstate(all="ignore"):
            try:
                for _ in range(steps):
                    sched.step()
            except (ArithmeticError, ValueError, ScheduleError):
                seen["raised"] += 1
                assert fails, spec
    assert seen["raised"] > 30 and seen["skipped"] > 30, seen


def test_extreme_settings_match_torch():
    """At the edges (overflowing gammas, zero factors, negative powers, tiny cycles, nested
    restarts) the values are still torch's, infinities and NaNs included, and torch's own
    exceptions come at the same step."""
    rng = np.random.default_rng(77)
    raised = 0
    for i in range(300):
        spec = _extreme_leaf(rng)
        if i % 3 == 1:
            spec = {"name": "ChainedScheduler", "params": {"schedulers": [_extreme_leaf(rng), spec]}}
        elif i % 3 == 2:
            spec = {"name": "SequentialLR", "params": {"schedulers": [_extreme_leaf(rng), spec],
                                                       "milestones": [int(rng.integers(0, 4))]}}
        topt = make_torch_optimizer("adam", 0.1)
        fake = mirror(topt)
        tsched, sched = torch_scheduler(spec, topt), build_scheduler(spec, fake)
        for k in range(300):
            a, b = fake.group["lr"], topt.param_groups[0]["lr"]
            assert a == b or (math.isnan(a) and math.isnan(b)), (spec, k, a, b)
            try:
                tsched.step()
            except Exception as e:          # noqa: BLE001  (whatever torch raises)
                with pytest.raises(ScheduleError if isinstance(e, NotImplementedError) else type(e)):
                    sched.step()
                raised += 1
                break
            with np.errstate(all="ignore"):
                sched.step()
    assert raised > 20


def test_check_steps_does_not_touch_the_optimizer():
    topt = make_torch_optimizer("adam", 0.1)
    fake = mirror(topt)
    before = dict(fake.group)
    spec = {"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 50}}
    with pytest.raises(HyperparameterError):
        build_scheduler(spec, fake, steps=60)
    assert fake.group == before
    build_scheduler(spec, fake, steps=50)
    assert fake.group["betas"][0] == 0.95 and fake.group["lr"] == pytest.approx(0.004)


# -- validation: torch's messages -------------------------------------------------------------
def torch_error(spec, kind="sgd"):
    topt = make_torch_optimizer(kind, 0.1)
    try:
        torch_scheduler(spec, topt)
    except (ValueError, TypeError, KeyError) as e:
        return e.args[0]
    raise AssertionError(f"torch accepted {spec}")


def ours_error(spec, kind="sgd") -> HyperparameterError:
    fake = mirror(make_torch_optimizer(kind, 0.1))
    with pytest.raises(HyperparameterError) as e:
        build_scheduler(spec, fake)
    return e.value


TORCH_REFUSES = [
    ({"name": "StepLR", "params": {}}, "sgd", "step_size"),
    ({"name": "StepLR", "params": {"step_size": 3, "foo": 1}}, "sgd", "foo"),
    ({"name": "CyclicLR", "params": {}}, "sgd", "base_lr"),
    ({"name": "ExponentialLR", "params": {}}, "sgd", "gamma"),
    ({"name": "ConstantLR", "params": {"factor": 1.5}}, "sgd", "factor"),
    ({"name": "ConstantLR", "params": {"factor": -0.1}}, "sgd", "factor"),
    ({"name": "LinearLR", "params": {"start_factor": 0.0}}, "sgd", "start_factor"),
    ({"name": "LinearLR", "params": {"start_factor": 1.1}}, "sgd", "start_factor"),
    ({"name": "LinearLR", "params": {"end_factor": 1.5}}, "sgd", "end_factor"),
    ({"name": "ReduceLROnPlateau", "params": {"factor": 1.0}}, "sgd", "factor"),
    ({"name": "ReduceLROnPlateau", "params": {"mode": "sideways"}}, "sgd", "mode"),
    ({"name": "ReduceLROnPlateau", "params": {"threshold_mode": "log"}}, "sgd", "threshold_mode"),
    ({"name": "ReduceLROnPlateau", "params": {"min_lr": [0.0, 0.1]}}, "sgd", "min_lr"),
    ({"name": "ReduceLROnPlateau", "params": {"min_lr": [0.0, 0.1], "factor": 2.0}}, "sgd", "factor"),
    ({"name": "CosineAnnealingWarmRestarts", "params": {"T_0": 0}}, "sgd", "T_0"),
    ({"name": "CosineAnnealingWarmRestarts", "params": {"T_0": 2.5}}, "sgd", "T_0"),
    ({"name": "CosineAnnealingWarmRestarts", "params": {"T_0": 5, "T_mult": 0}}, "sgd", "T_mult"),
    ({"name": "CosineAnnealingWarmRestarts", "params": {"T_0": 5, "eta_min": "a"}}, "sgd", "eta_min"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1}}, "sgd", "total_steps"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 0}}, "sgd", "total_steps"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 10.0}}, "sgd", "total_steps"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "epochs": 0, "steps_per_epoch": 5}}, "sgd", "epochs"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "epochs": 3, "steps_per_epoch": -1}}, "sgd",
     "steps_per_epoch"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "epochs": 3}}, "sgd", "total_steps"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5}}, "sgd", "pct_start"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 10, "pct_start": -0.5}}, "sgd", "pct_start"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "exp"}}, "sgd",
     "anneal_strategy"),
    ({"name": "OneCycleLR", "params": {"max_lr": [0.1, 0.2], "total_steps": 10}}, "sgd", "max_lr"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 10}}, "adagrad", "cycle_momentum"),
    ({"name": "CyclicLR", "params": {"base_lr": 0.01, "max_lr": 0.1}}, "adagrad", "cycle_momentum"),
    ({"name": "CyclicLR", "params": {"base_lr": 0.01, "max_lr": 0.1, "mode": "sine"}}, "sgd", "mode"),
    ({"name": "CyclicLR", "params": {"base_lr": [0.01, 0.02], "max_lr": 0.1}}, "sgd", "base_lr"),
    ({"name": "StepLR", "params": {"step_size": 3, "last_epoch": 4}}, "sgd", "last_epoch"),
    ({"name": "SequentialLR", "params": {"schedulers": [], "milestones": []}}, "sgd", "schedulers"),
    ({"name": "SequentialLR", "params": {"schedulers": [{"name": "StepLR", "params": {"step_size": 3}}],
                                         "milestones": [4]}}, "sgd", "milestones"),
    ({"name": "SequentialLR", "params": {"schedulers": [
        {"name": "StepLR", "params": {"step_size": 3}}, {"name": "ReduceLROnPlateau"}],
        "milestones": [4]}}, "sgd", "schedulers"),
    ({"name": "ChainedScheduler", "params": {"schedulers": []}}, "sgd", "schedulers"),
    ({"name": "ChainedScheduler", "params": {"schedulers": [{"name": "ReduceLROnPlateau"}]}}, "sgd",
     "schedulers"),
]


@pytest.mark.parametrize("spec,kind,field", TORCH_REFUSES)
def test_refusals_carry_torchs_message(spec, kind, field):
    e = ours_error(spec, kind)
    assert e.name == field
    assert e.message == torch_error(spec, kind)


def test_nested_errors_say_where():
    spec = {"name": "SequentialLR", "params": {"milestones": [5], "schedulers": [
        {"name": "StepLR", "params": {"step_size": 3}},
        {"name": "ChainedScheduler", "params": {"schedulers": [
            {"name": "ConstantLR", "params": {"factor": 2.0}}]}}]}}
    e = ours_error(spec)
    assert e.name == "schedulers"
    assert e.message == ("schedulers[1].params.schedulers[0].params.factor: "
                         "Constant multiplicative factor expected to be between 0 and 1.")
    assert e.path == ("params", "schedulers", 1, "params", "schedulers", 0, "params", "factor")
    e = ours_error({"name": "ChainedScheduler", "params": {"schedulers": [{"name": "LambdaLR"}]}})
    assert e.name == "schedulers" and e.message.startswith("schedulers[0].name: unknown scheduler")


@pytest.mark.parametrize("spec,field,fragment", [
    ({"name": "NoSuchLR"}, "name", "unknown scheduler"),
    ({"name": "LambdaLR", "params": {}}, "name", "unknown scheduler"),
    ({"name": "StepLR", "params": {"step_size": 0}}, "step_size", "must be >= 1"),
    ({"name": "StepLR", "params": {"step_size": 2.5}}, "step_size", "expected an integer"),
    ({"name": "StepLR", "params": {"step_size": True}}, "step_size", "expected an integer"),
    ({"name": "StepLR", "params": {"step_size": 3, "gamma": float("nan")}}, "gamma", "must be finite"),
    ({"name": "StepLR", "params": {"step_size": 3, "gamma": "0.5"}}, "gamma", "expected a number"),
    ({"name": "CosineAnnealingLR", "params": {"T_max": 0}}, "T_max", "must be >= 1"),
    ({"name": "CosineAnnealingLR", "params": {"T_max": 10**30}}, "T_max", "2**53"),
    ({"name": "MultiStepLR", "params": {"milestones": [3, "x"]}}, "milestones", "milestones[1]"),
    ({"name": "MultiStepLR", "params": {"milestones": 3}}, "milestones", "list of integers"),
    ({"name": "CyclicLR", "params": {"base_lr": 0.1, "max_lr": 1.0, "step_size_up": 0}},
     "step_size_up", "must be >= 1"),
    ({"name": "CyclicLR", "params": {"base_lr": 0.1, "max_lr": 1.0, "cycle_momentum": 1}},
     "cycle_momentum", "true or false"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 10, "div_factor": 0.0}},
     "div_factor", "ZeroDivisionError"),
    ({"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 10, "pct_start": 0.1}},
     "pct_start", "ZeroDivisionError"),
    ({"name": "ReduceLROnPlateau", "params": {"last_epoch": -1}}, "last_epoch", "unexpected keyword"),
    ({"name": "ChainedScheduler", "params": {"schedulers": [{"name": "StepLR", "parms": {}}]}},
     "schedulers", "unexpected key 'parms'"),
    ({"name": "ChainedScheduler", "params": {"schedulers": "StepLR"}}, "schedulers", "expected a list"),
    ({"name": "ChainedScheduler", "params": {"schedulers": [{"name": "StepLR", "params": {"step_size": 2}}] * 17}},
     "schedulers", "at most 16"),
])
def test_our_own_refusals(spec, field, fragment):
    e = ours_error(spec)
    assert e.name == field and fragment in e.message, e.message


def test_plateau_min_lr_as_a_one_entry_list():
    run_both({"name": "ReduceLROnPlateau", "params": {"min_lr": [0.01], "patience": 0}},
             "sgd", {"lr": 0.5}, 30, metrics=[1.0] * 30)


def test_resuming_needs_an_earlier_scheduler():
    spec = {"name": "ChainedScheduler", "params": {"schedulers": [
        {"name": "StepLR", "params": {"step_size": 5}},
        {"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 50, "last_epoch": 3}}]}}
    with pytest.raises(KeyError):
        torch_scheduler(spec, make_torch_optimizer("sgd", 0.1, momentum=0.9))
    e = ours_error(spec)
    assert e.path[-1] == "last_epoch" and "KeyError" in e.message


def test_children_may_be_scheduler_objects():
    topt = make_torch_optimizer("adam", 0.2)
    fake = mirror(topt)
    from app.engine.sched.composite import SequentialLR
    from app.engine.sched.linear import LinearLR
    from app.engine.sched.cosine import CosineAnnealingLR
    warm = LinearLR(fake, start_factor=0.2, total_iters=10)
    cos = CosineAnnealingLR(fake, T_max=90)
    ours = SequentialLR(fake, schedulers=[warm, cos], milestones=[10])
    tw = L.LinearLR(topt, start_factor=0.2, total_iters=10)
    tc = L.CosineAnnealingLR(topt, T_max=90)
    theirs = L.SequentialLR(topt, schedulers=[tw, tc], milestones=[10])
    for _ in range(100):
        assert fake.group["lr"] == topt.param_groups[0]["lr"]
        topt.step()
        ours.step()
        theirs.step()
    other = mirror(make_torch_optimizer("adam", 0.2))
    with pytest.raises(HyperparameterError, match="same optimizer"):
        SequentialLR(other, schedulers=[LinearLR(fake)], milestones=[])


def test_nesting_depth_is_limited():
    leaf = {"name": "StepLR", "params": {"step_size": 2}}
    spec = leaf
    for _ in range(3):
        spec = {"name": "ChainedScheduler", "params": {"schedulers": [spec]}}
    run_both(spec, "sgd", {"lr": 0.1}, 20)          # four levels: fine
    deeper = {"name": "ChainedScheduler", "params": {"schedulers": [spec]}}
    assert "nested too deeply" in ours_error(deeper).message
    wide = {"name": "ChainedScheduler", "params": {"schedulers": [
        {"name": "ChainedScheduler", "params": {"schedulers": [leaf] * 16}}] * 16}}
    assert "too many schedulers" in ours_error(wide).message


def test_last_epoch_resumes_like_torch():
    """last_epoch >= 0 works in torch once an earlier scheduler has set initial_lr."""
    for second in ({"name": "StepLR", "params": {"step_size": 4, "last_epoch": 6}},
                   {"name": "CosineAnnealingLR", "params": {"T_max": 30, "last_epoch": 11}},
                   {"name": "CosineAnnealingWarmRestarts", "params": {"T_0": 7, "last_epoch": 3}},
                   {"name": "PolynomialLR", "params": {"total_iters": 50, "last_epoch": 9}}):
        spec = {"name": "ChainedScheduler", "params": {"schedulers": [
            {"name": "ExponentialLR", "params": {"gamma": 0.99}}, second]}}
        run_both(spec, "sgd", {"lr": 0.2}, 100)


# -- batches: lr as a (B, 1) array ------------------------------------------------------------
def test_array_valued_lr_follows_each_row():
    rng = np.random.default_rng(8)
    lrs = np.array([0.001, 0.03, 0.5, 2.0])
    specs = [{"name": n, "params": GENERATORS[n](rng)} for n in sorted(GENERATORS)]
    specs += [random_sequential(rng, 200), random_chained(rng, 200)]
    for spec in specs:
        fake = FakeOptimizer({"lr": lrs[:, None].copy(), "momentum": 0.9}, {"lr", "momentum"})
        sched = build_scheduler(spec, fake)
        rows = [FakeOptimizer({"lr": float(x), "momentum": 0.9}, {"lr", "momentum"}) for x in lrs]
        scheds = [build_scheduler(spec, r) for r in rows]
        for _ in range(200):
            got = np.broadcast_to(fake.group["lr"], (len(lrs), 1))[:, 0]
            assert got.tolist() == [r.group["lr"] for r in rows], spec
            sched.step()
            for s in scheds:
                s.step()


def test_plateau_batch_metric_follows_each_row():
    rng = np.random.default_rng(9)
    B, n = 5, 200
    metric = 5 * np.exp(-np.arange(n)[:, None] / rng.uniform(10, 100, B)) + rng.normal(0, 0.02, (n, B))
    params = {"patience": 3, "cooldown": 2, "factor": 0.5, "min_lr": 1e-4, "threshold": 0.01}
    fake = FakeOptimizer({"lr": 0.1}, {"lr"})
    sched = build_scheduler({"name": "ReduceLROnPlateau", "params": params}, fake)
    rows = [FakeOptimizer({"lr": 0.1}, {"lr"}) for _ in range(B)]
    scheds = [build_scheduler({"name": "ReduceLROnPlateau", "params": params}, r) for r in rows]
    for k in range(n):
        sched.step(metric[k])
        for b in range(B):
            scheds[b].step(float(metric[k, b]))
        got = np.broadcast_to(fake.group["lr"], (B, 1))[:, 0]
        assert got.tolist() == [r.group["lr"] for r in rows]


# -- the catalogue ----------------------------------------------------------------------------
def test_catalogue_lists_every_torch_scheduler():
    names = {c["id"] for c in catalogue()}
    torch_names = {n for n in L.__all__ if n not in ("LRScheduler", "LambdaLR", "MultiplicativeLR")}
    assert names == torch_names == set(REGISTRY)
    for c in catalogue():
        assert c["doc"] and c["doc_zh"] and c["rule"]
        for p in c["params"]:
            assert p["doc"] and p["doc_zh"] != p["doc"], (c["id"], p["name"])


def test_catalogue_defaults_are_torchs():
    import inspect
    for c in catalogue():
        sig = inspect.signature(getattr(L, c["id"]).__init__)
        for p in c["params"]:
            torch_default = sig.parameters[p["name"]].default
            if torch_default is inspect.Parameter.empty:
                assert p.get("required"), (c["id"], p["name"])
            else:
                d = p["default"]
                assert d == torch_default or (isinstance(d, float) and math.isclose(d, torch_default)), \
                    (c["id"], p["name"], d, torch_default)


def test_zz_every_value_was_bit_identical():
    """Beyond the 1e-12 tolerance: over every run above, torch's values exactly.
    (Runs last in this module; skipped when run alone.)"""
    if WORST["runs"] < 100:
        pytest.skip("needs the parity runs of this module")
    print(f"\n{WORST['runs']} runs, {WORST['steps']} steps; worst relative difference: "
          f"lr {WORST['lr']:.1e}, momentum {WORST['momentum']:.1e}")
    assert WORST["lr"] == 0.0 and WORST["momentum"] == 0.0


# -- with the engine's own optimizers: momentum / beta1 cycling reaches the update ------------
def _quadratic(x, y):
    return x * x + 3 * y * y + x * y - 0.5 * x


def _quadratic_grad(p):
    x, y = p[:, 0], p[:, 1]
    return np.stack([2 * x + y - 0.5, 6 * y + x], axis=1)


@pytest.mark.parametrize("optimizer,params,sched", [
    ("sgd", {"lr": 0.05, "momentum": 0.9}, {"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 80}}),
    ("sgd", {"lr": 0.05}, {"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 80, "three_phase": True}}),
    ("adam", {"lr": 0.05}, {"name": "CyclicLR", "params": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 7}}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5}, {"name": "OneCycleLR", "params": {
        "max_lr": 0.05, "total_steps": 80, "anneal_strategy": "linear"}}),
    ("adamw", {"lr": 0.05}, {"name": "SequentialLR", "params": {"milestones": [30], "schedulers": [
        {"name": "CyclicLR", "params": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5}},
        {"name": "CosineAnnealingLR", "params": {"T_max": 50}}]}}),
])
def test_engine_optimizers_follow_the_schedule(optimizer, params, sched):
    from app.engine.optim import REGISTRY as OPTIMIZERS
    if optimizer not in OPTIMIZERS:
        pytest.skip(f"optimizer {optimizer} not available")
    steps = 80
    opt = OPTIMIZERS[optimizer](**params)
    s = build_scheduler(sched, opt, steps=steps)
    p = np.array([[1.5, -1.0]])
    state = opt.init(p)
    tp = torch.tensor([1.5, -1.0], requires_grad=True)
    topt = make_torch_optimizer(optimizer, **params)
    topt.param_groups[0]["params"] = [tp]
    topt.state.clear()
    ts = torch_scheduler(sched, topt)
    for k in range(steps):
        assert opt.group["lr"] == topt.param_groups[0]["lr"]
        assert momentum_of(opt.group) == momentum_of(topt.param_groups[0])
        opt.step(p, _quadratic_grad(p), state)
        topt.zero_grad()
        _quadratic(tp[0], tp[1]).backward()
        topt.step()
        s.step()
        ts.step()
        np.testing.assert_allclose(p[0], tp.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_lookahead_cycles_the_inner_momentum():
    """pytorch-optimizer's Lookahead merges the inner defaults into its own: torch's
    OneCycleLR then cycles the inner SGD's momentum / Adam's beta1."""
    po = pytest.importorskip("pytorch_optimizer")
    from app.engine.optim import REGISTRY as OPTIMIZERS
    if "lookahead" not in OPTIMIZERS:
        pytest.skip("lookahead not available")
    spec = {"name": "OneCycleLR", "params": {"max_lr": 0.2, "total_steps": 40}}
    for inner, kw in (("sgd", {"lr": 0.1, "momentum": 0.9}), ("adam", {"lr": 0.1})):
        ours = OPTIMIZERS["lookahead"](k=5, alpha=0.5, optimizer={"optimizer": inner, "params": kw})
        s = build_scheduler(spec, ours)
        tp = torch.zeros(2, requires_grad=True)
        theirs = po.Lookahead(make_torch_optimizer(inner, **kw), k=5, alpha=0.5)
        theirs.optimizer.param_groups[0]["params"] = [tp]
        ts = torch_scheduler(spec, theirs)
        for _ in range(40):
            assert ours.group["lr"] == theirs.param_groups[0]["lr"]
            assert momentum_of(ours.group) == momentum_of(theirs.param_groups[0])
            s.step()
            ts.step()
    ada = OPTIMIZERS["lookahead"](optimizer={"optimizer": "adagrad", "params": {}})
    with pytest.raises(HyperparameterError, match="must support momentum or beta1"):
        build_scheduler(spec, ada)
