"""An update rule lowered to Python floats (optim/lowering.py, loop.Loop.in_floats)
gives the same bits as the rule on arrays: step by step on odd gradients, for a
parameter of 2 coordinates and of 1, and whole runs through the runner (typed formulas,
noise, schedulers that move lr and momentum/betas, state); and the lowering refuses what
it could not give the same bits for."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest

from app.engine import loop
from app.engine.build import RunSpec
from app.engine.loop import CHECK_EVERY, jsonable_state
from app.engine.optim import REGISTRY
from app.engine.optim.base import HyperparameterError
from app.engine.optim.lowering import RuleSyntaxError
from app.engine.optim.ops import FLOAT_ERRORS
from app.engine.optim.rule import rule
from app.engine.runner import run_one
from app.engine.surfaces import SURFACES, custom_surface

FAST = sorted(i for i in REGISTRY if i != "lbfgs")
FORMULAS = [("x**2 + 3*sin(y) + 0.1*x*y", [[-3, 3], [-3, 3]]),
            ("log(1 + x**2) + sqrt(y**2 + 1) - exp(-x**2 - y**2)", [[-2, 2], [-2, 2]]),
            ("abs(x) + 2*abs(y - 0.5)", [[-1, 1], [-1, 1]])]


@pytest.fixture(autouse=True)
def chunks_at_every_look(monkeypatch):
    """Chunk for chunk: a chunk every CHECK_EVERY steps, not when the clock says one is due."""
    monkeypatch.setattr(loop, "STREAM_EVERY_S", 0.0)


def bits(a) -> np.ndarray:
    """float64 values as integers: equal bits, signed zeros apart; NaNs all alike."""
    a = np.array(a, dtype=np.float64)
    out = a.view(np.int64).copy()
    out[np.isnan(a)] = -1
    return out


def assert_same(a, b, what: str) -> None:
    assert np.shape(a) == np.shape(b), what
    np.testing.assert_array_equal(bits(a), bits(b), err_msg=what)


def draw_value(h, rng):
    lo, hi = h.ui if h.ui is not None else (0.0, 1.0)
    if h.kind == "bool":
        return bool(rng.integers(2))
    if h.kind == "choice":
        return h.choices[rng.integers(len(h.choices))]
    if h.kind == "int":
        return int(rng.integers(int(lo), int(hi) + 1))
    if h.kind == "optimizer":
        inner = FAST[rng.integers(len(FAST))]
        inner = "sgd" if inner == "lookahead" else inner
        return {"optimizer": inner, "params": draw_params(inner, rng)}

    def one():
        if rng.random() < 0.15 and lo <= 0.0:
            return 0.0
        if h.log:
            return float(np.exp(rng.uniform(np.log(max(lo, 1e-12)), np.log(hi))))
        return float(rng.uniform(lo, hi))
    if h.kind == "pair":
        return [None if h.nullable and rng.random() < 0.3 else one(), one()]
    return one()


def draw_params(opt_id: str, rng) -> dict:
    """Random hyperparameters that the optimizer accepts (about half of them set)."""
    cls = REGISTRY[opt_id]
    for _ in range(100):
        params = {h.name: draw_value(h, rng) for h in cls.hypers if rng.random() < 0.6}
        if "lr" in params and opt_id not in ("rprop", "adadelta"):
            params["lr"] = float(10 ** rng.uniform(-4, -1))
        try:
            cls(**params)
        except HyperparameterError:
            continue
        return params
    return {}


def odd_gradient(rng) -> tuple[float, float]:
    def one():
        r = rng.random()
        if r < 0.04:
            return [math.inf, -math.inf, math.nan][rng.integers(3)]
        if r < 0.12:
            return [0.0, -0.0, 1e300, -1e-300, 5e-324][rng.integers(5)]
        return float(rng.standard_normal() * 10 ** rng.uniform(-3, 3))
    return one(), one()


def move_group(group: dict, rng) -> None:
    """What a scheduler may do between steps: change lr, momentum, beta1."""
    group["lr"] = float(group["lr"] * rng.uniform(0.5, 1.5))
    if group.get("momentum"):
        group["momentum"] = float(group["momentum"] * rng.uniform(0.5, 1.0))
    if "betas" in group:
        b1, b2 = group["betas"]
        group["betas"] = (float(b1 * rng.uniform(0.5, 1.0)), b2)


def test_every_first_order_optimizer_has_a_float_program():
    for opt_id in FAST:
        program = REGISTRY[opt_id]().float_program()
        assert program is not None and callable(program.step), opt_id
    assert REGISTRY["lbfgs"]().float_program() is None
    assert REGISTRY["lookahead"](optimizer={"optimizer": "lbfgs"}).float_program() is None


def same_entry(got, want) -> bool:
    """A float program's state entry (a list per coordinate, else a number or None)
    against the array rule's ((1, n) per coordinate, else a number or a (1, 1) array)."""
    if isinstance(got, list):
        return want is not None and jsonable_state(got) == [
            jsonable_state(float(v)) for v in np.asarray(want).reshape(-1)]
    return jsonable_state(got) == jsonable_state(want)


def float_step(program, group, p: list, g: list, state):
    """One step as the runner takes it: in floats, or on arrays where Python raises."""
    try:
        *p, state = program.step(group, *p, *g, state)
    except FLOAT_ERRORS:
        p, state = program.retry(group, tuple(p), tuple(g), state)
    return list(p), state


@pytest.mark.parametrize("n", [2, 1])
@pytest.mark.parametrize("opt_id", FAST)
def test_floats_step_like_the_arrays(opt_id, n):
    """Each step's parameters and every state entry, on random and odd gradients (0, -0,
    inf, NaN, subnormal, huge), with the group moved between steps; a parameter of two
    coordinates (a point) and of one (a param group of its own)."""
    rng = np.random.default_rng(sum(map(ord, opt_id)) + n)
    for case in range(25):
        params = draw_params(opt_id, rng)
        moves = case % 2 == 1
        opt_a, opt_f = REGISTRY[opt_id](**params), REGISTRY[opt_id](**params)
        p = rng.uniform(-2, 2, size=(1, n))
        x = p[0].tolist()
        state = opt_a.init(p)
        program = opt_f.float_program(n)
        fstate = program.initial()
        for k in range(40):
            g = list(odd_gradient(rng))[:n] if case % 3 == 0 else [
                float(2 * (i + 1) * x[i] + rng.standard_normal()) for i in range(n)]
            with np.errstate(all="ignore"):
                opt_a.step(p, np.array([g]), state)
            x, fstate = float_step(program, opt_f.group, x, g, fstate)
            where = f"{opt_id} {params} n={n} case {case} step {k + 1}"
            assert_same(x, p[0], where)
            for name in opt_a.state_names:
                assert same_entry(program.get(fstate, name), state.get(name)), \
                    f"{where}: {name}"
            if moves:
                move_group(opt_a.group, np.random.default_rng(k))
                move_group(opt_f.group, np.random.default_rng(k))


def test_the_lowering_refuses_what_floats_could_not_follow():
    """A rule may branch on scalars only, call plain functions on scalars only, and must
    return its parameter and state: anything else is refused when it is lowered."""
    def refused(fn):
        with pytest.raises(RuleSyntaxError):
            rule(per_coordinate=("m",))(fn).on_floats(2)

    def branch_on_a_coordinate(ops, group, p, g, m):
        if g > 0:
            p = p - g
        return p, m

    def plain_function_of_a_coordinate(ops, group, p, g, m):
        p = p - abs(g)
        return p, m

    def indexing(ops, group, p, g, m):
        p = p - g[0]
        return p, m

    def returns_too_little(ops, group, p, g, m):
        return p

    def a_loop(ops, group, p, g, m):
        for _ in range(2):
            p = p - g
        return p, m

    for fn in (branch_on_a_coordinate, plain_function_of_a_coordinate, indexing,
               returns_too_little, a_loop):
        refused(fn)


def draw_scheduler(rng, steps: int):
    kind = rng.integers(5)
    if kind == 0:
        return {"name": "OneCycleLR", "params": {"max_lr": float(10 ** rng.uniform(-3, -1)),
                                                 "total_steps": steps, "cycle_momentum": True}}
    if kind == 1:
        return {"name": "CyclicLR", "params": {"base_lr": 1e-4, "max_lr": 1e-2,
                                               "step_size_up": int(rng.integers(3, 30))}}
    if kind == 2:
        return {"name": "ReduceLROnPlateau", "params": {"patience": 2, "factor": 0.5}}
    if kind == 3:
        return {"name": "StepLR", "params": {"step_size": 7, "gamma": 0.7}}
    return None


def both_ways(surface, start, steps, spec, record_state):
    out = []
    for fast in (True, False):
        chunks = []
        run = run_one(surface, start, steps, spec, record_state=record_state,
                      on_chunk=chunks.append, fast=fast)
        out.append((run, chunks))
    return out


def assert_runs_equal(fast, arrays, where: str) -> None:
    (a, chunks_a), (b, chunks_b) = fast, arrays
    for key in ("path", "loss", "lr"):
        assert_same(a[key], b[key], f"{where}: {key}")
    assert orjson.dumps(a) == orjson.dumps(b), where
    assert orjson.dumps(chunks_a) == orjson.dumps(chunks_b), where


@pytest.mark.parametrize("opt_id", FAST)
def test_runner_float_loop_equals_array_loop(opt_id):
    """Whole runs through run_one, fast and forced onto arrays: the same JSON, chunk
    for chunk (built-in and typed surfaces, noise, schedulers, state: true)."""
    rng = np.random.default_rng(100 + sum(map(ord, opt_id)))
    surfaces = [SURFACES[s] for s in ("rosenbrock", "himmelblau", "rastrigin", "ackley",
                                      "beale", "saddle")]
    surfaces += [custom_surface(e, d) for e, d in FORMULAS]
    for case in range(8):
        surface = surfaces[rng.integers(len(surfaces))]
        (x0, x1), (y0, y1) = surface.domain
        start = (float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1)))
        steps = int(rng.integers(20, 300))
        noise = {"std": float(10 ** rng.uniform(-2, 0)), "seed": int(rng.integers(100))} \
            if case % 2 else None
        sched = draw_scheduler(rng, steps)
        params = draw_params(opt_id, rng)
        spec = RunSpec(opt_id, params, sched, noise)
        where = f"{opt_id} {params} {sched} noise {noise} on {surface.expr} from {start}"
        try:
            runs = both_ways(surface, start, steps, spec, record_state=case % 4 < 2)
        except Exception as e:           # a scheduler this optimizer cannot take
            if sched is None or "momentum" not in str(e):
                raise
            sched["params"]["cycle_momentum"] = False
            runs = both_ways(surface, start, steps, spec, record_state=case % 4 < 2)
        assert_runs_equal(*runs, where)


def test_a_step_python_refuses_is_computed_with_arrays():
    """RMSprop with alpha = 0 and eps = 0 steps by exactly lr until x reaches 0, where
    the float step meets 0 / 0 (step 161): that step is taken on arrays, whose NaN ends
    the run there, as the array loop does.  The stream gets each point once."""
    surface = custom_surface("x**2 + y**2", [[-12, 12], [-12, 12]])
    spec = RunSpec("rmsprop", {"lr": 0.0625, "alpha": 0.0, "eps": 0.0})
    fast, arrays = both_ways(surface, (10.0, 12.0), 400, spec, record_state=True)
    assert_runs_equal(fast, arrays, "rmsprop 0 / 0")
    run, chunks = fast
    assert run["status"] == "diverged" and run["steps_done"] == 160
    assert [c["start"] for c in chunks] == [0, CHECK_EVERY]
    assert sum((c["path"] for c in chunks), []) == run["path"]
