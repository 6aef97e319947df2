"""Randomised diff tests against the real thing: ASGD, Rprop, LBFGS, Adafactor
(torch.optim 2.13) and Lion, AdaBelief, Yogi, Lookahead (pytorch-optimizer 4.1.0).

Both sides get the *same* gradients (analytic NumPy gradients written below; torch's
param.grad is set from them), so any difference is the optimizer's own.  Paths and
state are compared after every step; a batch of starts must equal each start run alone;
validation messages must equal the ones torch / the library raise for the same values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from app.engine.optim import REGISTRY  # noqa: E402
from app.engine.optim.base import HyperparameterError  # noqa: E402

PATH_TOL = 1e-10          # |ours - torch| / (1 + |torch|), per coordinate and step
STATE_TOL = 1e-10         # relative to the largest |value| the state entry takes
LBFGS_PATH_TOL = 1e-9


# -- surfaces: value and analytic gradient on (B, 2) ------------------------------------
def rosenbrock(p):
    x, y = p[:, 0], p[:, 1]
    r = y - x * x
    v = (1 - x) ** 2 + 100 * r * r
    g = np.stack([-2 * (1 - x) - 400 * x * r, 200 * r], axis=1)
    return v, g


def himmelblau(p):
    x, y = p[:, 0], p[:, 1]
    a = x * x + y - 11
    b = x + y * y - 7
    v = a * a + b * b
    g = np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=1)
    return v, g


def beale(p):
    x, y = p[:, 0], p[:, 1]
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y * y
    y3 = y * y * y           # not y ** 3: NumPy's pow is not correctly rounded (tests/ieee.py)
    c = 2.625 - x + x * y3
    v = a * a + b * b + c * c
    gx = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y3 - 1)
    gy = 2 * a * x + 4 * b * x * y + 6 * c * x * y * y
    return v, np.stack([gx, gy], axis=1)


def bowl(p):
    x, y = p[:, 0], p[:, 1]
    return x * x + y * y, np.stack([2 * x, 2 * y], axis=1)


def ravine(p):
    x, y = p[:, 0], p[:, 1]
    return 0.1 * x * x + 2 * y * y, np.stack([0.2 * x, 4 * y], axis=1)


SURFACES = {
    "rosenbrock": (rosenbrock, ((-1.5, 1.5), (-0.5, 2.0))),
    "himmelblau": (himmelblau, ((-4.0, 4.0), (-4.0, 4.0))),
    "beale": (beale, ((-2.0, 2.0), (-1.0, 1.5))),
    "bowl": (bowl, ((-2.0, 2.0), (-2.0, 2.0))),
    "ravine": (ravine, ((-5.0, 5.0), (-3.0, 3.0))),
}


def random_start(rng, surface):
    (x0, x1), (y0, y1) = SURFACES[surface][1]
    return [float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))]


# -- running both sides ------------------------------------------------------------------
def _np(v):
    if isinstance(v, torch.Tensor):
        return v.detach().numpy().astype(np.float64).copy() if v.dim() else float(v)
    if isinstance(v, (list, tuple)):
        return [_np(x) for x in v]
    return v


def run_torch(make, start, steps, surface, closure=False, extra_state=None):
    """Path (n, 2) and per-step state of a torch optimizer fed our gradients."""
    f = SURFACES[surface][0]
    torch.set_default_dtype(torch.float64)
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make([param])
    path, states = [np.array(start, dtype=np.float64)], []

    def evaluate():
        v, g = f(param.detach().numpy().copy()[None])
        param.grad = torch.tensor(g[0])
        return torch.tensor(v[0])

    for _ in range(steps):
        with torch.no_grad(), np.errstate(all="ignore"):
            if closure:
                opt.step(evaluate)
            else:
                evaluate()
                opt.step()
        here = param.detach().numpy().copy()
        path.append(here)
        st = {k: _np(v) for k, v in opt.state[param].items()}
        if extra_state is not None:
            st.update(extra_state(opt, param))
        states.append(st)
        if not np.isfinite(here).all():
            break
    return np.array(path), states


def sensitivity(make, start, steps, surface, closure=False, path=None):
    """How far torch's own path moves when the start moves by 1e-12 (as the reference
    files measure it).  Ulp-level differences (torch fuses a + s*b into one FMA, NumPy
    cannot) grow like this; a chaotic case cannot be compared to 1e-10."""
    if path is None:
        path, _ = run_torch(make, start, steps, surface, closure)
    moved, _ = run_torch(make, [start[0] + 1e-12, start[1] - 1e-12], steps, surface, closure)
    n = min(len(path), len(moved))
    if len(path) != len(moved):
        return math.inf
    with np.errstate(invalid="ignore"):
        d = np.abs(path[:n] - moved[:n])
    return float(np.nanmax(d)) if np.isfinite(d).all() else math.inf


def stable_case(rng, draw, make, steps, surface, closure=False, limit=1e-8, tries=20,
                extra_state=None):
    """Draw (params, start) until torch's path is not chaotic; return it with torch's run."""
    for _ in range(tries):
        params, start = draw(rng)
        path, states = run_torch(lambda ps: make(ps, params), start, steps, surface, closure,
                                 extra_state)
        if sensitivity(lambda ps: make(ps, params), start, steps, surface, closure,
                       path) <= limit:
            return params, start, path, states
    pytest.fail(f"no non-chaotic case in {tries} draws on {surface}")


def run_ours(opt_id, params, starts, steps, surface, before_step=None):
    """Paths (n, B, 2) and per-step state (one dict per step, batch values) of ours."""
    f = SURFACES[surface][0]
    opt = REGISTRY[opt_id](**params)
    p = np.array(starts, dtype=np.float64).reshape(-1, 2)
    state = opt.init(p)
    paths, states = [p.copy()], []
    for k in range(steps):
        if before_step is not None:
            before_step(opt, k)
        with np.errstate(all="ignore"):
            if opt.needs_closure:
                opt.step(p, f, state)
            else:
                _, g = f(p)
                opt.step(p, g, state)
        paths.append(p.copy())
        states.append(snapshot(opt, state, len(p)))
        if not np.isfinite(p).all():
            break
    return np.array(paths), states


def snapshot(opt, state, batch):
    """Per run b: {name: value} for the optimizer's state names (+ the hidden step)."""
    out = []
    if opt.needs_closure and "_more" in state:
        runs = [state, *state["_more"]]
        for b in range(batch):
            out.append({k: _copy(v) for k, v in runs[b].items() if k in opt.state_names})
        return out
    for b in range(batch):
        row = {}
        for k in (*opt.state_names, "step"):
            if k not in state:
                continue
            v = state[k]
            if isinstance(v, np.ndarray) and v.ndim == 2:
                v = v[b].copy()
            elif isinstance(v, np.ndarray):
                v = v.copy()
            row[k] = v
        out.append(row)
    return out


def _copy(v):
    if isinstance(v, list):
        return [_copy(x) for x in v]
    if isinstance(v, tuple):
        return np.array(v, dtype=np.float64)
    return v


def path_error(ours, ref):
    n = min(len(ours), len(ref))
    a, b = ours[:n], ref[:n]
    with np.errstate(invalid="ignore"):
        err = np.abs(a - b) / (1 + np.abs(b))
    err[~np.isfinite(a) & ~np.isfinite(b)] = 0.0
    return float(np.nanmax(np.where(np.isnan(err), np.inf, err))) if err.size else 0.0


def _flat(v):
    if v is None:
        return np.array([np.nan])
    if isinstance(v, list):
        parts = [_flat(x) for x in v]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.atleast_1d(np.asarray(v, dtype=np.float64)).reshape(-1)


def compare_states(ours: list[dict], ref: list[dict], names, tol=STATE_TOL, where=""):
    n = min(len(ours), len(ref))
    for name in names:
        ref_vals = [_flat(ref[k].get(name)) for k in range(n)]
        our_vals = [_flat(ours[k].get(name)) for k in range(n)]
        finite = [np.abs(v[np.isfinite(v)]) for v in ref_vals]
        scale = max((float(v.max()) for v in finite if v.size), default=0.0) or 1.0
        for k in range(n):
            a, b = our_vals[k], ref_vals[k]
            assert a.shape == b.shape, f"{where} state {name} at step {k + 1}: {a} vs {b}"
            same = (a == b) | (np.isnan(a) & np.isnan(b))
            with np.errstate(invalid="ignore"):
                err = np.where(same, 0.0, np.abs(a - b) / scale)
            assert np.all(err <= tol), (
                f"{where} state {name} at step {k + 1}: ours {a} torch {b} (err {err.max():.3g})")


def check_batch_equals_single(opt_id, params, starts, steps, surface):
    batch_paths, batch_states = run_ours(opt_id, params, starts, steps, surface)
    for b, start in enumerate(starts):
        one_path, one_states = run_ours(opt_id, params, [start], steps, surface)
        n = min(len(one_path), len(batch_paths))
        np.testing.assert_array_equal(batch_paths[:n, b], one_path[:n, 0])
        for k in range(n - 1):
            for name, v in one_states[k][0].items():
                np.testing.assert_array_equal(_flat(batch_states[k][b][name]), _flat(v),
                                              err_msg=f"{opt_id} batch row {b} {name} step {k}")


# -- parity for the torch.optim ones -----------------------------------------------------
def _asgd_params(rng):
    return {"lr": float(10 ** rng.uniform(-4, -1.5)), "lambd": float(10 ** rng.uniform(-5, -0.5)),
            "alpha": float(rng.uniform(0.2, 1.5)), "t0": float(rng.choice([0.0, 3.0, 20.0, 1e6])),
            "weight_decay": float(rng.choice([0.0, 0.0, 0.1])),
            "maximize": False}


def _rprop_params(rng):
    return {"lr": float(10 ** rng.uniform(-4, -1)),
            "etas": (float(rng.uniform(0.2, 0.9)), float(rng.uniform(1.05, 2.0))),
            "step_sizes": (float(10 ** rng.uniform(-8, -3)), float(10 ** rng.uniform(-1, 1.5))),
            "maximize": False}


def _adafactor_params(rng):
    eps1 = [None, 1e-30, float(10 ** rng.uniform(-8, -2))][rng.integers(3)]
    return {"lr": float(10 ** rng.uniform(-2.5, 0)), "beta2_decay": float(rng.uniform(-1.0, -0.3)),
            "eps": (eps1, float(10 ** rng.uniform(-4, -1))), "d": float(rng.uniform(1.0, 3.0)),
            "weight_decay": float(rng.choice([0.0, 0.0, 0.05])), "maximize": False}


TORCH_CASES = {
    "asgd": (torch.optim.ASGD, _asgd_params),
    "rprop": (torch.optim.Rprop, _rprop_params),
    "adafactor": (torch.optim.Adafactor, _adafactor_params),
}


@pytest.mark.parametrize("opt_id", sorted(TORCH_CASES))
@pytest.mark.parametrize("seed", range(12))
def test_torch_parity(opt_id, seed):
    cls, gen = TORCH_CASES[opt_id]
    rng = np.random.default_rng(1000 * seed + len(opt_id))
    surface = "bowl" if seed in (7, 11) else sorted(SURFACES)[seed % len(SURFACES)]
    steps = int(rng.integers(50, 201))

    def draw(rng):
        params = gen(rng)
        params["maximize"] = seed in (7, 11)
        return params, random_start(rng, surface)

    params, start, ref_path, ref_states = stable_case(
        rng, draw, lambda ps, kw: cls(ps, **kw), steps, surface)
    ours_path, ours_states = run_ours(opt_id, params, [start], steps, surface)
    assert len(ours_path) == len(ref_path)
    err = path_error(ours_path[:, 0], ref_path)
    assert err <= PATH_TOL, f"{opt_id} {params} on {surface}: path error {err:.3g}"
    compare_states([s[0] for s in ours_states], ref_states, REGISTRY[opt_id].state_names,
                   where=f"{opt_id} {params} on {surface}:")


@pytest.mark.parametrize("opt_id", sorted(TORCH_CASES) + ["lion", "adabelief", "yogi", "lookahead",
                                                          "lbfgs"])
def test_batch_equals_single_runs(opt_id):
    rng = np.random.default_rng(7)
    surface = "himmelblau"
    starts = [random_start(rng, surface) for _ in range(3)]
    params = {"lion": {"lr": 0.03, "betas": (0.8, 0.95), "weight_decay": 0.01,
                       "cautious": True, "adanorm": True},
              "adabelief": {"lr": 0.05, "rectify": True, "ams_bound": True},
              "yogi": {"lr": 0.1, "weight_decay": 0.01, "weight_decouple": False},
              "lookahead": {"k": 3, "alpha": 0.6,
                            "optimizer": {"optimizer": "asgd", "params": {"lr": 0.003}}},
              "lbfgs": {"lr": 0.5, "line_search_fn": "strong_wolfe", "history_size": 4},
              }.get(opt_id) or TORCH_CASES[opt_id][1](rng)
    check_batch_equals_single(opt_id, params, starts, 60, surface)


@pytest.mark.parametrize("opt_id,base,key,values", [
    ("asgd", {}, "lr", [1e-3, 3e-3, 1e-2]),
    ("asgd", {"lr": 0.01}, "t0", [0.0, 10.0, 1e6]),
    ("rprop", {}, "lr", [1e-3, 1e-2, 1e-1]),
    ("adafactor", {}, "lr", [0.01, 0.1, 1.0]),
    ("adafactor", {"lr": 0.1}, "weight_decay", [0.0, 0.01, 0.1]),
    ("lion", {}, "lr", [1e-3, 1e-2, 0.1]),
    ("lion", {"lr": 0.01, "adanorm": True}, "adanorm_r", [0.5, 0.9, 0.99]),
    ("adabelief", {}, "lr", [1e-3, 1e-2, 0.1]),
    ("adabelief", {"lr": 0.05, "rectify": True}, "n_sma_threshold", [4, 5, 6]),
    ("adabelief", {"lr": 0.05, "rectify": True, "degenerated_to_sgd": False}, "lr",
     [0.01, 0.05, 0.2]),
    ("yogi", {}, "lr", [1e-3, 1e-2, 0.1]),
    ("yogi", {"lr": 0.05, "weight_decouple": False}, "weight_decay", [0.0, 0.01, 0.1]),
    ("lbfgs", {}, "lr", [0.1, 0.5, 1.0]),
])
def test_sweep_arrays_equal_scalar_runs(opt_id, base, key, values):
    """A hyperparameter map: group values as (B, 1) arrays, one per run."""
    surface, start = "beale", [1.0, 1.2]
    sweep = np.array(values, dtype=np.float64)[:, None]

    def set_sweep(opt, k):
        if k == 0:
            opt.group.update({key: sweep})
    paths, _ = run_ours(opt_id, base, [start] * len(values), 60, surface, before_step=set_sweep)
    for b, v in enumerate(values):
        one, _ = run_ours(opt_id, {**base, key: v}, [start], 60, surface)
        assert path_error(paths[:, b], one[:, 0]) <= 1e-12, (key, v)


def test_asgd_sees_scheduled_lr_one_step_late():
    """lr changed between steps: torch's eta uses it only after the next step."""
    lrs = [0.01, 0.05, 0.05, 0.002, 0.002, 0.002, 0.3, 0.3]
    start = [1.0, -1.5]
    torch.set_default_dtype(torch.float64)
    param = torch.tensor(start, requires_grad=True)
    opt = torch.optim.ASGD([param], lr=lrs[0], lambd=0.01)
    ref = []
    for lr in lrs:
        opt.param_groups[0]["lr"] = lr
        param.grad = torch.tensor(bowl(param.detach().numpy()[None])[1][0])
        opt.step()
        ref.append(param.detach().numpy().copy())

    def set_lr(o, k):
        o.group["lr"] = lrs[k]
    ours, _ = run_ours("asgd", {"lr": lrs[0], "lambd": 0.01}, [start], len(lrs), "bowl", set_lr)
    assert path_error(ours[1:, 0], np.array(ref)) <= PATH_TOL


def test_rprop_reads_lr_only_at_first_step():
    def set_lr(o, k):
        o.group["lr"] = 0.5 if k == 0 else 1e-6 * (k + 1)
    ours, states = run_ours("rprop", {"lr": 1.0}, [[1.0, 2.0]], 5, "bowl", set_lr)
    ref, _ = run_torch(lambda ps: torch.optim.Rprop(ps, lr=0.5), [1.0, 2.0], 5, "bowl")
    assert path_error(ours[:, 0], ref) == 0.0


# -- LBFGS -------------------------------------------------------------------------------
def _lbfgs_params(rng):
    max_iter = int(rng.choice([1, 2, 5, 20]))
    return {"lr": float(rng.choice([0.05, 0.1, 0.3, 1.0])), "max_iter": max_iter,
            "max_eval": [None, max_iter + int(rng.integers(0, 10))][rng.integers(2)],
            "tolerance_grad": float(10 ** rng.uniform(-10, -5)),
            "tolerance_change": float(10 ** rng.uniform(-12, -7)),
            "history_size": int(rng.choice([1, 3, 10, 100])),
            "line_search_fn": [None, "strong_wolfe"][rng.integers(2)]}


@pytest.mark.parametrize("seed", range(24))
def test_lbfgs_parity(seed):
    rng = np.random.default_rng(500 + seed)
    surface = sorted(SURFACES)[seed % len(SURFACES)]
    steps = int(rng.integers(20, 51))
    params, start, ref_path, ref_states = stable_case(
        rng, lambda rng: (_lbfgs_params(rng), random_start(rng, surface)),
        lambda ps, kw: torch.optim.LBFGS(ps, **kw), steps, surface, closure=True)
    ours_path, ours_states = run_ours("lbfgs", params, [start], steps, surface)
    err = path_error(ours_path[:, 0], ref_path)
    assert err <= LBFGS_PATH_TOL, f"lbfgs {params} on {surface} from {start}: path error {err:.3g}"
    ours_run0 = [s[0] for s in ours_states]
    for k, (a, b) in enumerate(zip(ours_run0, ref_states)):
        assert list(a) == [n for n in b if n in a] and set(a) == set(b), (k, list(a), list(b))
        assert a["func_evals"] == b["func_evals"] and a["n_iter"] == b["n_iter"], k
        assert len(a.get("old_dirs") or []) == len(b.get("old_dirs") or []), k
    compare_states(ours_run0, ref_states, ("d", "t", "old_dirs", "old_stps", "ro", "H_diag",
                                           "prev_flat_grad", "prev_loss"), tol=1e-8,
                   where=f"lbfgs {params} on {surface}:")


# -- pytorch-optimizer ones --------------------------------------------------------------
def _lib():
    return pytest.importorskip("pytorch_optimizer")


def _lion_params(rng):
    return {"lr": float(10 ** rng.uniform(-3, -1)),
            "betas": (float(rng.uniform(0.5, 0.99)), float(rng.uniform(0.8, 0.999))),
            "weight_decay": float(rng.choice([0.0, 0.0, 0.1])),
            "weight_decouple": bool(rng.integers(2)), "fixed_decay": bool(rng.integers(2)),
            "adanorm": bool(rng.integers(2)), "adanorm_r": float(rng.uniform(0.8, 0.99)),
            "cautious": bool(rng.integers(2)), "maximize": False}


def _adabelief_params(rng):
    return {"lr": float(10 ** rng.uniform(-3, -0.5)),
            "betas": (float(rng.uniform(0.5, 0.99)), float(rng.uniform(0.9, 0.9999))),
            "weight_decay": float(rng.choice([0.0, 0.0, 0.05])),
            "weight_decouple": bool(rng.integers(2)), "fixed_decay": bool(rng.integers(2)),
            "rectify": bool(rng.integers(2)), "n_sma_threshold": int(rng.choice([4, 5, 6])),
            "degenerated_to_sgd": bool(rng.integers(2)), "ams_bound": bool(rng.integers(2)),
            "eps": float(10 ** rng.uniform(-16, -6)), "adanorm": bool(rng.integers(2)),
            "adam_debias": bool(rng.integers(2)), "maximize": False}


def _yogi_params(rng):
    return {"lr": float(10 ** rng.uniform(-3, -0.5)),
            "betas": (float(rng.uniform(0.5, 0.99)), float(rng.uniform(0.9, 0.9999))),
            "initial_accumulator": float(10 ** rng.uniform(-8, -1)),
            "weight_decay": float(rng.choice([0.0, 0.0, 0.05])),
            "weight_decouple": bool(rng.integers(2)), "fixed_decay": bool(rng.integers(2)),
            "eps": float(10 ** rng.uniform(-8, -2)), "adam_debias": bool(rng.integers(2)),
            "maximize": False}


def _library_state(opt, param):
    return {"step": opt.param_groups[0]["step"]}


LIBRARY_CASES = {"lion": ("Lion", _lion_params), "adabelief": ("AdaBelief", _adabelief_params),
                 "yogi": ("Yogi", _yogi_params)}


@pytest.mark.parametrize("opt_id", sorted(LIBRARY_CASES))
@pytest.mark.parametrize("seed", range(12))
def test_library_parity(opt_id, seed):
    lib = _lib()
    name, gen = LIBRARY_CASES[opt_id]
    rng = np.random.default_rng(2000 * seed + len(opt_id))
    surface = sorted(SURFACES)[seed % len(SURFACES)]
    if seed in (7, 11):
        surface = "bowl"
    foreach = [None, False][seed % 2]        # the library's default (None) runs foreach on CPU
    steps = int(rng.integers(50, 201))
    cls = getattr(lib, name)

    def draw(rng):
        params = gen(rng)
        params["maximize"] = seed in (7, 11)
        return params, random_start(rng, surface)

    params, start, ref_path, ref_states = stable_case(
        rng, draw, lambda ps, kw: cls(ps, foreach=foreach, **kw), steps, surface,
        extra_state=_library_state)
    ours_path, ours_states = run_ours(opt_id, params, [start], steps, surface)
    assert len(ours_path) == len(ref_path)
    err = path_error(ours_path[:, 0], ref_path)
    assert err <= PATH_TOL, f"{opt_id} {params} on {surface}: path error {err:.3g}"
    names = (*REGISTRY[opt_id](**params).state_names, "step")
    compare_states([s[0] for s in ours_states], ref_states, names,
                   where=f"{opt_id} {params} on {surface}:")


def _inner_spec(rng):
    kind = ["sgd", "sgd", "adam", "rmsprop", "asgd", "yogi"][rng.integers(6)]
    if kind == "sgd":
        momentum = float(rng.choice([0.0, 0.5, 0.9]))
        params = {"lr": float(10 ** rng.uniform(-3, -1.5)), "momentum": momentum,
                  "dampening": float(rng.choice([0.0, 0.3])) if momentum else 0.0}
    elif kind == "adam":
        params = {"lr": float(10 ** rng.uniform(-3, -1))}
    elif kind == "rmsprop":
        params = {"lr": float(10 ** rng.uniform(-4, -2)), "momentum": float(rng.choice([0.0, 0.8]))}
    elif kind == "asgd":
        params = {"lr": float(10 ** rng.uniform(-4, -2))}
    else:
        params = {"lr": float(10 ** rng.uniform(-3, -1))}
    return kind, params


def _make_inner(kind, params, ps):
    lib = _lib()
    if kind == "yogi":
        return lib.Yogi(ps, **params)
    return {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop,
            "asgd": torch.optim.ASGD}[kind](ps, **params)


def _lookahead_state(opt, param):
    """The inner optimizer's state beside Lookahead's own (slow_params, slow_momentum)."""
    return {k: _np(v) for k, v in opt.optimizer.state[param].items()}


@pytest.mark.parametrize("seed", range(12))
def test_lookahead_parity(seed):
    lib = _lib()
    rng = np.random.default_rng(3000 + seed)
    surface = sorted(SURFACES)[seed % len(SURFACES)]
    pullback = ["none", "reset", "pullback"][seed % 3]
    steps = int(rng.integers(50, 151))

    def draw(rng):
        kind, inner = _inner_spec(rng)
        return ({"k": int(rng.integers(1, 8)), "alpha": float(rng.uniform(0.0, 0.95)),
                 "pullback_momentum": pullback,
                 "optimizer": {"optimizer": kind, "params": inner}},
                random_start(rng, surface))

    def make(ps, kw):
        inner = kw["optimizer"]
        return lib.Lookahead(_make_inner(inner["optimizer"], inner["params"], ps), k=kw["k"],
                             alpha=kw["alpha"], pullback_momentum=kw["pullback_momentum"])

    params, start, ref_path, ref_states = stable_case(rng, draw, make, steps, surface,
                                                      extra_state=_lookahead_state)
    ours_path, ours_states = run_ours("lookahead", params, [start], steps, surface)
    err = path_error(ours_path[:, 0], ref_path)
    assert err <= PATH_TOL, f"lookahead {params} on {surface}: path error {err:.3g}"
    names = REGISTRY["lookahead"](**params).state_names
    compare_states([s[0] for s in ours_states], ref_states, names,
                   where=f"lookahead {params} on {surface}:")


def test_lookahead_group_is_inner_group():
    opt = REGISTRY["lookahead"](optimizer={"optimizer": "sgd", "params": {"lr": 0.1}})
    assert opt.group["lr"] == 0.1 and "k" not in opt.group
    p = np.array([[1.0, 1.0]])
    state = opt.init(p)
    opt.group["lr"] = 0.0                      # a scheduler setting lr to 0 stops the inner steps
    for _ in range(7):
        opt.step(p, bowl(p)[1], state)
    np.testing.assert_array_equal(p, [[1.0, 1.0]])
    assert "slow_params" in opt.state_names and "momentum_buffer" in opt.state_names


def test_adafactor_step_is_relative_to_the_parameter_size():
    """The first step is lr * RMS(theta) per coordinate: doubling theta doubles it."""
    for scale in (1.0, 2.0):
        opt = REGISTRY["adafactor"](lr=0.1)
        p = np.array([[3.0, -4.0]]) * scale
        before = p.copy()
        opt.step(p, np.array([[1.0, 1.0]]), opt.init(p))
        step = np.abs(p - before)
        np.testing.assert_allclose(step, 0.1 * 5 / math.sqrt(2) * scale * np.ones((1, 2)),
                                   rtol=1e-12)


# -- validation messages -----------------------------------------------------------------
def _torch_message(make):
    try:
        make()
    except Exception as e:                    # torch: ValueError; library: its own errors
        return str(e)
    return None


def _p():
    return [torch.zeros(2, dtype=torch.float64, requires_grad=True)]


VALIDATION = [
    ("asgd", {"lr": -1.0}, lambda kw: torch.optim.ASGD(_p(), **kw)),
    ("asgd", {"weight_decay": -0.5}, lambda kw: torch.optim.ASGD(_p(), **kw)),
    ("rprop", {"lr": -0.1}, lambda kw: torch.optim.Rprop(_p(), **kw)),
    ("rprop", {"etas": (1.5, 2.0)}, lambda kw: torch.optim.Rprop(_p(), **kw)),
    ("rprop", {"etas": (0.5, 0.9)}, lambda kw: torch.optim.Rprop(_p(), **kw)),
    ("rprop", {"etas": (0.0, 1.2)}, lambda kw: torch.optim.Rprop(_p(), **kw)),
    ("adafactor", {"lr": -0.01}, lambda kw: torch.optim.Adafactor(_p(), **kw)),
    ("adafactor", {"beta2_decay": 0.5}, lambda kw: torch.optim.Adafactor(_p(), **kw)),
    ("adafactor", {"eps": (-1.0, 1e-3)}, lambda kw: torch.optim.Adafactor(_p(), **kw)),
    ("adafactor", {"eps": (None, -1.0)}, lambda kw: torch.optim.Adafactor(_p(), **kw)),
    ("adafactor", {"d": 0.5}, lambda kw: torch.optim.Adafactor(_p(), **kw)),
    ("adafactor", {"weight_decay": -1.0}, lambda kw: torch.optim.Adafactor(_p(), **kw)),
    ("lbfgs", {"lr": -1.0}, lambda kw: torch.optim.LBFGS(_p(), **kw)),
]
LIB_VALIDATION = [
    ("lion", {"lr": -1.0}), ("lion", {"betas": (1.0, 0.99)}), ("lion", {"betas": (0.9, -0.1)}),
    ("lion", {"weight_decay": -1.0}),
    ("adabelief", {"lr": -0.5}), ("adabelief", {"betas": (0.9, 1.0)}),
    ("adabelief", {"eps": -1.0}), ("adabelief", {"weight_decay": -0.1}),
    ("yogi", {"lr": -2.0}), ("yogi", {"betas": (-0.1, 0.9)}), ("yogi", {"eps": -1e-3}),
    ("yogi", {"weight_decay": -1.0}),
]


@pytest.mark.parametrize("opt_id,kw,make", VALIDATION)
def test_validation_messages_match_torch(opt_id, kw, make):
    expected = _torch_message(lambda: make(kw))
    assert expected is not None
    with pytest.raises(HyperparameterError) as e:
        REGISTRY[opt_id](**kw)
    assert e.value.message == expected
    assert e.value.name == next(iter(kw))


@pytest.mark.parametrize("opt_id,kw", LIB_VALIDATION)
def test_validation_messages_match_library(opt_id, kw):
    lib = _lib()
    expected = _torch_message(lambda: getattr(lib, LIBRARY_CASES[opt_id][0])(_p(), **kw))
    assert expected is not None
    with pytest.raises(HyperparameterError) as e:
        REGISTRY[opt_id](**kw)
    assert e.value.message == expected
    assert e.value.name == next(iter(kw))


@pytest.mark.parametrize("kw", [{"k": 0}, {"alpha": 1.0}, {"alpha": -0.1},
                                {"pullback_momentum": "sometimes"}])
def test_lookahead_validation_messages(kw):
    lib = _lib()
    expected = _torch_message(lambda: lib.Lookahead(torch.optim.SGD(_p(), lr=0.1), **kw))
    assert expected is not None
    with pytest.raises(HyperparameterError) as e:
        REGISTRY["lookahead"](**kw)
    assert e.value.message == expected


@pytest.mark.parametrize("opt_id,kw,name", [
    ("asgd", {"lr": "fast"}, "lr"),
    ("rprop", {"etas": (0.5,)}, "etas"),
    ("rprop", {"step_sizes": (1e-6, "big")}, "step_sizes"),
    ("adafactor", {"eps": (1e-3, None)}, "eps"),
    ("adafactor", {"lr": float("nan")}, "lr"),
    ("lbfgs", {"line_search_fn": "armijo"}, "line_search_fn"),
    ("lbfgs", {"history_size": 0}, "history_size"),
    ("lbfgs", {"max_iter": 2.5}, "max_iter"),
    ("lbfgs", {"max_eval": 0, "line_search_fn": "strong_wolfe"}, "max_eval"),
    ("lbfgs", {"foreach": True}, "foreach"),
    ("asgd", {"fused": True}, "fused"),
    ("adafactor", {"differentiable": True}, "differentiable"),
    ("lion", {"cautious": "yes"}, "cautious"),
    ("lion", {"use_gc": True}, "use_gc"),
    ("yogi", {"betas": (0.9, float("nan"))}, "betas"),
    ("asgd", {"lambd": -1.0}, "lambd"),
    ("lookahead", {"optimizer": {"optimizer": "lookahead"}}, "optimizer"),
    ("lookahead", {"optimizer": {"optimizer": "nosuch"}}, "optimizer"),
    ("lookahead", {"optimizer": {"optimizer": "sgd", "params": {"lr": -1.0}}}, "optimizer"),
])
def test_refused_values_name_the_field(opt_id, kw, name):
    with pytest.raises(HyperparameterError) as e:
        REGISTRY[opt_id](**kw)
    assert e.value.name == name


def test_defaults_and_catalogue():
    expect = {
        "asgd": {"lr": 1e-2, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weight_decay": 0.0},
        "rprop": {"lr": 1e-2, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0)},
        "lbfgs": {"lr": 1.0, "max_iter": 20, "max_eval": 25, "tolerance_grad": 1e-7,
                  "tolerance_change": 1e-9, "history_size": 100, "line_search_fn": None},
        "adafactor": {"lr": 1e-2, "beta2_decay": -0.8, "eps": (None, 1e-3), "d": 1.0,
                      "weight_decay": 0.0},
        "lion": {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0,
                 "weight_decouple": True, "fixed_decay": False},
        "adabelief": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-16, "rectify": False,
                      "n_sma_threshold": 5, "degenerated_to_sgd": True, "ams_bound": False,
                      "weight_decouple": True},
        "yogi": {"lr": 1e-2, "betas": (0.9, 0.999), "initial_accumulator": 1e-6, "eps": 1e-3},
    }
    for opt_id, defaults in expect.items():
        group = REGISTRY[opt_id]().group
        for k, v in defaults.items():
            assert group[k] == v, (opt_id, k)
    assert REGISTRY["lbfgs"](max_iter=8).group["max_eval"] == 10
    for opt_id in ("asgd", "rprop", "lbfgs", "adafactor", "lion", "adabelief", "yogi",
                   "lookahead"):
        cls = REGISTRY[opt_id]
        cat = cls.catalogue()
        assert cat["rule"] and cat["doc"] and cat["doc_zh"] != cat["doc"]
        assert all(p["doc_zh"] != p["doc"] for p in cat["params"]), opt_id
        assert cls.family == ("extra" if opt_id in ("lion", "adabelief", "yogi", "lookahead")
                              else "torch")
    assert REGISTRY["lbfgs"].needs_closure


# -- odd gradients: exact zeros, tiny, huge, inf, NaN ------------------------------------
def _odd_gradients(rng, n=40):
    g = rng.standard_normal((n, 2)) * 10 ** rng.uniform(-3, 2, (n, 1))
    g[rng.random((n, 2)) < 0.15] = 0.0
    g[5] = [1e-300, -1e-310]
    g[9] = [1e150, -3e140]
    g[12] = [0.0, 0.0]
    g[13] = [0.0, 0.0]
    g[n - 6] = [np.inf, 1.0]
    g[n - 3] = [np.nan, 2.0]
    return g


def _feed_torch(make, start, grads, extra_state=None):
    torch.set_default_dtype(torch.float64)
    param = torch.tensor(start, requires_grad=True)
    opt = make([param])
    path, states = [], []
    for g in grads:
        param.grad = torch.tensor(g)
        with torch.no_grad():
            opt.step()
        path.append(param.detach().numpy().copy())
        st = {k: _np(v) for k, v in opt.state[param].items()}
        if extra_state is not None:
            st.update(extra_state(opt, param))
        states.append(st)
    return np.array(path), states


def _feed_ours(opt_id, params, starts, grads):
    opt = REGISTRY[opt_id](**params)
    p = np.array(starts, dtype=np.float64).reshape(-1, 2)
    state = opt.init(p)
    paths, states = [], []
    with np.errstate(all="ignore"):
        for g in grads:
            opt.step(p, np.tile(g, (len(p), 1)), state)
            paths.append(p.copy())
            states.append(snapshot(opt, state, len(p)))
    return np.array(paths), states


ODD_CASES = [
    ("asgd", {"lr": 0.01, "lambd": 0.01, "t0": 5.0, "weight_decay": 0.1},
     lambda ps, kw: torch.optim.ASGD(ps, **kw)),
    ("rprop", {"lr": 0.01, "step_sizes": (1e-4, 0.5)}, lambda ps, kw: torch.optim.Rprop(ps, **kw)),
    ("adafactor", {"lr": 0.1, "weight_decay": 0.01},
     lambda ps, kw: torch.optim.Adafactor(ps, **kw)),
    ("adafactor", {"lr": 0.1, "eps": (0.0, 0.0), "beta2_decay": 0.0},
     lambda ps, kw: torch.optim.Adafactor(ps, **kw)),
    ("lion", {"lr": 0.01, "cautious": True, "adanorm": True, "weight_decay": 0.1,
              "weight_decouple": False}, "Lion"),
    ("adabelief", {"lr": 0.01, "ams_bound": True, "rectify": True, "adanorm": True}, "AdaBelief"),
    ("adabelief", {"lr": 0.01, "eps": 0.0}, "AdaBelief"),
    ("yogi", {"lr": 0.01, "weight_decay": 0.1, "fixed_decay": True}, "Yogi"),
]


@pytest.mark.parametrize("case", range(len(ODD_CASES)))
def test_odd_gradients(case):
    opt_id, params, make = ODD_CASES[case]
    extra = None
    if isinstance(make, str):
        cls = getattr(_lib(), make)
        make = lambda ps, kw: cls(ps, **kw)  # noqa: E731
        extra = _library_state
    grads = _odd_gradients(np.random.default_rng(case))
    start = [0.7, -1.3]
    ref_path, ref_states = _feed_torch(lambda ps: make(ps, params), start, grads, extra)
    for batch in (1, 2):                       # (test_lowering.py holds the float programs to these)
        path, states = _feed_ours(opt_id, params, [start] * batch, grads)
        for b in range(batch):
            np.testing.assert_allclose(path[:, b], ref_path, rtol=1e-12, atol=0,
                                       err_msg=f"{opt_id} {params} B={batch}")
            names = (*REGISTRY[opt_id](**params).state_names, "step")
            compare_states([s[b] for s in states], ref_states, names, tol=1e-12,
                           where=f"{opt_id} {params} B={batch}:")


def test_lbfgs_nan_loss_in_line_search_ends_the_run():
    """torch's _strong_wolfe raises IndexError when a trial point has a NaN loss but a
    finite gradient; ours returns NaN (the run ends as diverged) instead of crashing."""
    def logx(p):
        x, y = p[:, 0], p[:, 1]
        with np.errstate(all="ignore"):
            return np.log(x) + y * y + x, np.stack([1 / x + 1, 2 * y], axis=1)

    SURFACES["logx"] = (logx, ((0.1, 2.0), (-2.0, 2.0)))
    try:
        rng = np.random.default_rng(0)
        for _ in range(50):
            params = {**_lbfgs_params(rng), "line_search_fn": "strong_wolfe"}
            start = random_start(rng, "logx")
            try:
                ref, _ = run_torch(lambda ps: torch.optim.LBFGS(ps, **params), start, 30, "logx",
                                   closure=True)
            except IndexError:
                ours, _ = run_ours("lbfgs", params, [start], 30, "logx")
                assert np.isnan(ours[-1]).all()
                return
            ours, _ = run_ours("lbfgs", params, [start], 30, "logx")
            assert len(ours) == len(ref)
        pytest.skip("no crashing case found")
    finally:
        del SURFACES["logx"]
