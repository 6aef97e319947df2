"""NumPy optimizers vs the real torch.optim (2.13, float64), step by step.

sgd, adam, adamw, adagrad, adadelta, rmsprop, adamax, nadam, radam, sparseadam:
random valid hyperparameters on a few surfaces whose gradients are written here in NumPy.
torch receives exactly the same gradient values (autograd would round differently and
measure the surface code, not the optimizer); SparseAdam gets `grad.to_sparse()`, as
the reference recorder does.  After every step the point and every state entry must
agree to 1e-10 relative (looser only where torch's own path is ill-conditioned: see
`compare`); a batch of 7 starts must equal the 7 single runs bit for bit.
Constructor refusals are compared with torch's own messages.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from app.engine.optim import REGISTRY  # noqa: E402
from app.engine.optim.base import HyperparameterError  # noqa: E402

MINE = ("sgd", "adam", "adamw", "adagrad", "adadelta", "rmsprop", "adamax", "nadam", "radam",
        "sparseadam")
TOL = 1e-10
IMPLEMENTATION_FLAGS = {"foreach", "fused", "capturable", "differentiable"}


@pytest.fixture(autouse=True)
def float64_default():
    """As the reference recorder: torch's `step` / `mu_product` tensors are float64."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


# --- surfaces: gradient of f at p (B, 2) -----------------------------------------------

def rosenbrock(p):
    x, y = p[:, 0], p[:, 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=1)


def himmelblau(p):
    x, y = p[:, 0], p[:, 1]
    a, b = x * x + y - 11, x + y * y - 7
    return np.stack([4 * a * x + 2 * b, 2 * a + 4 * b * y], axis=1)


def beale(p):
    x, y = p[:, 0], p[:, 1]
    y2, y3 = y * y, y * y * y    # products, not NumPy's pow (tests/ieee.py)
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
    gx = 2 * t1 * (y - 1) + 2 * t2 * (y2 - 1) + 2 * t3 * (y3 - 1)
    gy = 2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y2
    return np.stack([gx, gy], axis=1)


def halfflat(p):
    """max(x, 0)^2 + 0.5 (y - 1)^2: the x-gradient is exactly 0 wherever x <= 0."""
    x, y = p[:, 0], p[:, 1]
    return np.stack([2 * np.maximum(x, 0.0), y - 1.0], axis=1)


def abs_valley(p):
    """|x| + 2|y|: exact zeros on the axes (torch's abs backward gives sign(0) = 0)."""
    return np.stack([np.sign(p[:, 0]), 2 * np.sign(p[:, 1])], axis=1)


# surface: (gradient, box of starts, a safe plain-SGD lr)
SURFACES = {
    "rosenbrock": (rosenbrock, ((-1.5, 1.5), (-0.5, 2.0)), 4e-4),
    "himmelblau": (himmelblau, ((-4.0, 4.0), (-4.0, 4.0)), 4e-3),
    "beale": (beale, ((-2.0, 2.0), (-1.2, 1.2)), 2e-3),
    "halfflat": (halfflat, ((-2.0, 2.0), (-2.0, 2.0)), 0.2),
    "abs_valley": (abs_valley, ((-2.0, 2.0), (-2.0, 2.0)), 0.05),
}


def random_start(rng, box):
    return [float(rng.uniform(*box[0])), float(rng.uniform(*box[1]))]


def dyadic_start(rng):
    """A start on a grid of 1/8, so that SGD on abs_valley lands on exact zeros."""
    return [float(rng.integers(-12, 13)) / 8, float(rng.integers(-12, 13)) / 8]


# --- random hyperparameters ------------------------------------------------------------

def loguniform(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def maybe(rng, value, p=0.5, otherwise=0.0):
    return value if rng.random() < p else otherwise


def betas(rng):
    b1 = float(rng.choice([0.0, 0.5, 0.8, 0.9, 0.95, rng.uniform(0.0, 0.99)]))
    b2 = float(rng.choice([0.9, 0.99, 0.999, rng.uniform(0.5, 0.9999)]))
    return (b1, b2)


def sgd_params(rng, surface):
    lr = SURFACES[surface][2] * loguniform(rng, 0.05, 1.0)
    momentum = float(maybe(rng, rng.uniform(0.1, 0.95), 0.7))
    nesterov = bool(momentum > 0 and rng.random() < 0.4)
    dampening = 0.0 if nesterov else float(maybe(rng, rng.uniform(0.0, 0.9), 0.4))
    return {"lr": lr, "momentum": momentum, "dampening": dampening, "nesterov": nesterov,
            "weight_decay": maybe(rng, loguniform(rng, 1e-4, 0.5), 0.4),
            "maximize": False}


def adam_params(rng, surface):
    return {"lr": loguniform(rng, 1e-3, 0.3), "betas": betas(rng),
            "eps": loguniform(rng, 1e-10, 1e-2), "amsgrad": bool(rng.random() < 0.4),
            "weight_decay": maybe(rng, loguniform(rng, 1e-4, 0.5), 0.4),
            "decoupled_weight_decay": bool(rng.random() < 0.5)}


def adamw_params(rng, surface):
    out = adam_params(rng, surface)
    del out["decoupled_weight_decay"]
    out["weight_decay"] = float(rng.choice([1e-2, loguniform(rng, 1e-4, 0.5), 0.0]))
    return out


def adagrad_params(rng, surface):
    return {"lr": loguniform(rng, 1e-2, 0.5), "lr_decay": maybe(rng, loguniform(rng, 1e-4, 0.1)),
            "weight_decay": maybe(rng, loguniform(rng, 1e-4, 0.3), 0.4),
            "initial_accumulator_value": maybe(rng, loguniform(rng, 1e-3, 1.0)),
            "eps": loguniform(rng, 1e-10, 1e-3)}


def adadelta_params(rng, surface):
    return {"lr": loguniform(rng, 0.1, 10.0),
            "rho": float(rng.choice([0.9, rng.uniform(0.5, 0.99)])),
            "eps": loguniform(rng, 1e-8, 1e-2),
            "weight_decay": maybe(rng, loguniform(rng, 1e-4, 0.3), 0.4)}


def rmsprop_params(rng, surface):
    return {"lr": loguniform(rng, 1e-3, 0.05),
            "alpha": float(rng.choice([0.99, rng.uniform(0.5, 0.999)])),
            "eps": loguniform(rng, 1e-10, 1e-2),
            "momentum": maybe(rng, float(rng.uniform(0.1, 0.9))),
            "centered": bool(rng.random() < 0.5),
            "weight_decay": maybe(rng, loguniform(rng, 1e-4, 0.3), 0.4)}


def adamax_params(rng, surface):
    return {"lr": loguniform(rng, 1e-3, 0.3), "betas": betas(rng),
            "eps": loguniform(rng, 1e-10, 1e-2),
            "weight_decay": maybe(rng, loguniform(rng, 1e-4, 0.3), 0.4)}


def nadam_params(rng, surface):
    return {"lr": loguniform(rng, 1e-3, 0.3), "betas": betas(rng),
            "eps": loguniform(rng, 1e-10, 1e-2),
            "momentum_decay": float(rng.choice([4e-3, loguniform(rng, 1e-4, 0.5), 0.0])),
            "weight_decay": maybe(rng, loguniform(rng, 1e-4, 0.3), 0.4),
            "decoupled_weight_decay": bool(rng.random() < 0.5)}


def radam_params(rng, surface):
    b1, _ = betas(rng)
    b2 = float(rng.choice([0.9, 0.99, 0.999, 0.7]))      # 0.7 / 0.9: rectification kicks in early
    return {"lr": loguniform(rng, 1e-3, 0.3), "betas": (b1, b2),
            "eps": loguniform(rng, 1e-10, 1e-2),
            "weight_decay": maybe(rng, loguniform(rng, 1e-4, 0.3), 0.4),
            "decoupled_weight_decay": bool(rng.random() < 0.5)}


def sparseadam_params(rng, surface):
    return {"lr": loguniform(rng, 1e-3, 0.3), "betas": betas(rng),
            "eps": loguniform(rng, 1e-10, 1e-2)}


PARAMS = {"sgd": sgd_params, "adam": adam_params, "adamw": adamw_params,
          "adagrad": adagrad_params, "adadelta": adadelta_params, "rmsprop": rmsprop_params,
          "adamax": adamax_params, "nadam": nadam_params, "radam": radam_params,
          "sparseadam": sparseadam_params}
TORCH_CLASS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "adagrad": "Adagrad",
               "adadelta": "Adadelta", "rmsprop": "RMSprop", "adamax": "Adamax",
               "nadam": "NAdam", "radam": "RAdam", "sparseadam": "SparseAdam"}


# --- the two runners ---------------------------------------------------------------------

def _state_copy(state: dict) -> dict:
    out = {}
    for k, v in state.items():
        if torch.is_tensor(v):
            v = v.item() if v.ndim == 0 else v.detach().numpy().copy()
        elif isinstance(v, np.ndarray):
            v = v.copy()
        out[k] = v
    return out


def run_torch(opt_id, params, start, grad, steps, jitter=0.0):
    """torch's path; with `jitter` > 0, after every step the point and each state tensor
    are multiplied elementwise by independent factors 1 + jitter * U(-1, 1)."""
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, TORCH_CLASS[opt_id])([param], **params)
    rng = np.random.default_rng(7)
    path, states = [], []
    for _ in range(steps):
        with np.errstate(all="ignore"):
            g = grad(param.detach().numpy().reshape(1, 2).copy())[0]
        param.grad = torch.from_numpy(np.ascontiguousarray(g))
        if opt_id == "sparseadam":
            param.grad = param.grad.to_sparse()
        opt.step()
        if jitter:
            with torch.no_grad():
                for v in [param, *opt.state[param].values()]:
                    if torch.is_tensor(v) and v.ndim == 1:
                        v.mul_(torch.from_numpy(1 + jitter * rng.uniform(-1, 1, 2)))
        path.append(param.detach().numpy().copy())
        states.append(_state_copy(opt.state_dict()["state"].get(0, {})))
    return np.array(path), states


def run_numpy(opt_id, params, starts, grad, steps, record_state=True):
    opt = REGISTRY[opt_id](**params)
    p = np.array(starts, dtype=np.float64).reshape(-1, 2)
    state = opt.init(p)
    path, states = [], []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            opt.step(p, grad(p), state)
            path.append(p.copy())
            if record_state:
                states.append(_state_copy(state))
    return np.array(path), states


def rel_err(a, b) -> float:
    """max |a - b| / max |b| (NaN/inf must sit at the same places)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not np.array_equal(fa, fb) or not np.array_equal(a[~fa], b[~fb], equal_nan=True):
        return math.inf
    if not fa.any():
        return 0.0
    diff = np.max(np.abs(a[fa] - b[fb]))
    scale = np.max(np.abs(b[fb]))
    return 0.0 if diff == 0 else diff / scale if scale > 0 else math.inf


def compare(opt_id, params, start, surface, steps):
    """Step by step: the point and every state entry, to TOL relative.

    Rounding differences of 1 ulp (torch's CPU kernels fuse `a + s*b` into an FMA, NumPy
    rounds twice) grow wherever the dynamics are ill-conditioned.  To tell those places
    apart, torch also runs with the point and its state nudged after every step by a
    relative 1e-13 (about 500 ulp); where that moves torch's own values by `sens`, the
    bound is max(TOL, 0.1 * sens).  Once it has moved torch's point by more than 1e-6
    (the path amplifies rounding 1e7-fold: chaos) the rest of the run is not compared.
    Returns (worst error on strictly-checked values, steps that needed the looser bound).
    """
    grad = SURFACES[surface][0]
    t_path, t_states = run_torch(opt_id, params, start, grad, steps)
    b_path, b_states = run_torch(opt_id, params, start, grad, steps, jitter=1e-13)
    n_path, n_states = run_numpy(opt_id, params, [start], grad, steps)
    worst, loose = 0.0, 0
    for k in range(steps):
        if rel_err(b_path[k], t_path[k]) > 1e-6:
            return worst, loose + steps - k
        where = f"{opt_id} {params} from {start} on {surface}, step {k + 1}"
        checks = [("param", n_path[k][0], t_path[k], b_path[k])]
        ours, theirs = n_states[k], t_states[k]
        assert set(ours) == set(theirs), f"{where}: state keys {sorted(ours)} != {sorted(theirs)}"
        for name, ref in theirs.items():
            mine = ours[name]
            checks.append((f"state[{name!r}]", mine[0] if isinstance(mine, np.ndarray) else mine,
                           ref, b_states[k][name]))
        step_loose = False
        for what, mine, ref, bumped in checks:
            err = rel_err(mine, ref)
            tol = max(TOL, 0.1 * rel_err(bumped, ref))
            assert err <= tol, f"{where}: {what} {mine} != torch {ref} (err {err:.2g})"
            if tol > TOL:
                step_loose = True
            else:
                worst = max(worst, err)
        loose += step_loose
        if not np.all(np.isfinite(t_path[k])):
            break
    return worst, loose


def cases(opt_id, n, seed):
    rng = np.random.default_rng(seed)
    names = list(SURFACES)
    out = []
    for i in range(n):
        surface = names[i % len(names)]
        params = PARAMS[opt_id](rng, surface)
        if "maximize" in {h.name for h in REGISTRY[opt_id].hypers} and rng.random() < 0.25:
            params["maximize"] = True
        box = SURFACES[surface][1]
        start = dyadic_start(rng) if surface == "abs_valley" and rng.random() < 0.5 \
            else random_start(rng, box)
        if surface == "halfflat" and rng.random() < 0.5:
            start[0] = -abs(start[0])                   # in the flat half: x-gradient is 0
        steps = int(rng.integers(100, 201))
        out.append((surface, params, start, steps))
    return out


@pytest.mark.parametrize("opt_id", MINE)
def test_random_cases_match_torch(opt_id):
    total = loose = 0
    for surface, params, start, steps in cases(opt_id, 12, seed=MINE.index(opt_id)):
        _, n_loose = compare(opt_id, params, start, surface, steps)
        total += steps
        loose += n_loose
    assert loose <= 0.25 * total, f"{opt_id}: {loose} of {total} steps ill-conditioned"


@pytest.mark.parametrize("opt_id", MINE)
def test_batch_equals_single_runs(opt_id):
    rng = np.random.default_rng(100 + MINE.index(opt_id))
    for surface in ("himmelblau", "halfflat", "abs_valley"):
        grad, box = SURFACES[surface][:2]
        params = PARAMS[opt_id](rng, surface)
        starts = [random_start(rng, box) for _ in range(7)]
        if surface == "halfflat":
            starts[0][0] = starts[1][0] = -1.0
        if surface == "abs_valley":
            starts[2] = [0.0, 1.0]
        batch, batch_states = run_numpy(opt_id, params, starts, grad, 120)
        for i, s in enumerate(starts):
            single, single_states = run_numpy(opt_id, params, [s], grad, 120)
            assert np.array_equal(batch[:, i], single[:, 0], equal_nan=True), (opt_id, surface, i)
            for bs, ss in zip(batch_states, single_states):
                for name, v in ss.items():
                    w = bs[name]
                    if isinstance(v, np.ndarray):
                        assert np.array_equal(w[i], v[0], equal_nan=True), (opt_id, name, i)
                    else:
                        assert w == v, (opt_id, name)


# --- fixed cases that exercise each branch ------------------------------------------------

BRANCHES = [
    ("sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}, "rosenbrock"),
    ("sgd", {"lr": 0.25, "momentum": 0.5, "dampening": 0.5, "maximize": True}, "abs_valley"),
    ("sgd", {"lr": 0.125}, "abs_valley"),
    ("adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}, "himmelblau"),
    ("adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
     "halfflat"),
    ("adam", {"lr": 0.1, "betas": (0.3, 0.6)}, "beale"),          # lerp weight > 0.5
    ("adamw", {"lr": 0.05, "amsgrad": True}, "rosenbrock"),
    ("adagrad", {"lr": 0.3, "lr_decay": 0.01, "initial_accumulator_value": 0.1}, "himmelblau"),
    ("adadelta", {"lr": 1.0, "rho": 0.95, "weight_decay": 0.01, "maximize": True}, "halfflat"),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9, "centered": True}, "himmelblau"),
    ("rmsprop", {"lr": 0.01, "alpha": 0.4, "centered": True}, "beale"),   # grad_avg lerp > 0.5
    ("adamax", {"lr": 0.1, "weight_decay": 0.05}, "abs_valley"),
    ("nadam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}, "rosenbrock"),
    ("nadam", {"lr": 0.05, "weight_decay": 0.1, "momentum_decay": 0.2}, "himmelblau"),
    ("radam", {"lr": 0.05}, "himmelblau"),                          # rho_t > 5 from step 6
    ("radam", {"lr": 0.01, "betas": (0.9, 0.7), "weight_decay": 0.1}, "himmelblau"),
    ("radam", {"lr": 0.05, "betas": (0.9, 0.5)}, "halfflat"),       # never rectified
    ("sparseadam", {"lr": 0.1}, "halfflat"),
    ("sparseadam", {"lr": 0.1, "maximize": True}, "abs_valley"),
]
# starts: x-gradient 0 from the first step (halfflat), y-gradient 0 (abs_valley)
STARTS = {"halfflat": [-1.0, -1.5], "abs_valley": [1.0, 0.0]}


@pytest.mark.parametrize("opt_id,params,surface", BRANCHES,
                         ids=[f"{o}-{i}" for i, (o, _, _) in enumerate(BRANCHES)])
def test_branches_match_torch(opt_id, params, surface):
    compare(opt_id, params, STARTS.get(surface, [-1.0, 1.5]), surface, 150)


@pytest.mark.parametrize("opt_id", MINE)
def test_gradient_turning_exactly_zero(opt_id):
    """halfflat from x > 0: x crosses into the flat half, where its gradient is exactly 0
    while the state still carries momentum (SparseAdam then freezes x; the rest coast)."""
    params = {"sgd": {"lr": 0.1, "momentum": 0.5}, "adadelta": {"lr": 5.0},
              "adagrad": {"lr": 0.5}}.get(opt_id, {"lr": 0.1})
    compare(opt_id, params, [0.5, -1.5], "halfflat", 120)


def test_sparseadam_skips_zero_gradient_coordinates():
    opt = REGISTRY["sparseadam"](lr=0.1)
    p = np.array([[-1.0, 3.0], [0.5, 0.0]])
    state = opt.init(p)
    opt.step(p, halfflat(p), state)
    assert p[0, 0] == -1.0 and state["exp_avg"][0, 0] == 0 and state["exp_avg_sq"][0, 0] == 0
    assert p[0, 1] != 3.0 and p[1, 0] != 0.5
    assert state["step"] == 1
    before = p.copy(), state["exp_avg"].copy(), state["exp_avg_sq"].copy()
    opt.step(p, np.array([[0.0, 1.0], [0.0, 0.0]]), state)
    assert state["step"] == 2                           # counts even where nothing moves
    for now, then in zip((p, state["exp_avg"], state["exp_avg_sq"]), before):
        assert now[0, 0] == then[0, 0] and np.array_equal(now[1], then[1])
        assert now[0, 1] != then[0, 1]


def test_sweep_arrays_equal_single_runs():
    """Group values may be (B, 1) arrays (sweep maps): each row equals its scalar run."""
    grad = SURFACES["himmelblau"][0]
    start = [[1.0, -2.0]] * 4
    sweeps = [("sgd", {"lr": 3e-3}, "momentum", [0.0, 0.5, 0.9, 0.0]),
              ("sgd", {"momentum": 0.9}, "lr", [1e-3, 2e-3, 3e-3, 4e-3]),
              ("adam", {"lr": 0.05}, "weight_decay", [0.0, 0.1, 0.0, 0.3]),
              ("rmsprop", {"lr": 0.01}, "momentum", [0.0, 0.5, 0.9, 0.0]),
              ("radam", {"lr": 0.05}, "lr", [0.01, 0.02, 0.05, 0.1]),
              ("nadam", {}, "lr", [0.01, 0.02, 0.05, 0.1])]
    for opt_id, base, name, values in sweeps:
        opt = REGISTRY[opt_id](**base)
        opt.group[name] = np.array(values)[:, None]
        p = np.array(start)
        state = opt.init(p)
        for _ in range(60):
            opt.step(p, grad(p), state)
        for i, v in enumerate(values):
            single, _ = run_numpy(opt_id, {**base, name: v}, [start[i]], grad, 60, False)
            assert np.array_equal(p[i], single[-1][0]), (opt_id, name, v)


# --- the constructor: keywords, defaults, torch's refusals ----------------------------------

@pytest.mark.parametrize("opt_id", MINE)
def test_keywords_and_defaults_match_torch(opt_id):
    cls = REGISTRY[opt_id]
    sig = inspect.signature(getattr(torch.optim, TORCH_CLASS[opt_id]).__init__)
    torch_kw = {k: v.default for k, v in sig.parameters.items()
                if k not in ("self", "params") and k not in IMPLEMENTATION_FLAGS}
    assert [h.name for h in cls.hypers] == list(torch_kw)
    for h in cls.hypers:
        assert h.default == torch_kw[h.name], (opt_id, h.name)
        assert h.doc and h.doc_zh, (opt_id, h.name)
    assert cls.torch_name == TORCH_CLASS[opt_id] and cls.family == "torch"
    assert cls.summary and cls.summary_zh and cls.__doc__
    cat = cls.catalogue()
    assert cat["id"] == opt_id and cat["state"] == list(cls.state_names)


STATE_KEYS = [("adam", {"amsgrad": True}), ("adamw", {"amsgrad": True}), ("sgd", {"momentum": 0.9}),
              ("rmsprop", {"momentum": 0.9, "centered": True}), ("adagrad", {}),
              ("adadelta", {}), ("adamax", {}), ("nadam", {}), ("radam", {}), ("sparseadam", {})]


@pytest.mark.parametrize("opt_id,params", STATE_KEYS)
def test_state_names_in_torch_order(opt_id, params):
    _, states = run_torch(opt_id, params, [1.0, 2.0], himmelblau, 1)
    assert tuple(states[0]) == REGISTRY[opt_id].state_names
    _, mine = run_numpy(opt_id, params, [[1.0, 2.0]], himmelblau, 1)
    assert tuple(mine[0]) == REGISTRY[opt_id].state_names


REFUSED = [
    ("sgd", {"lr": -1.0}), ("sgd", {"momentum": -0.5}), ("sgd", {"weight_decay": -1.0}),
    ("sgd", {"nesterov": True}), ("sgd", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("adam", {"lr": -1.0}), ("adam", {"lr": float("nan")}), ("adam", {"eps": -1e-8}),
    ("adam", {"betas": (1.0, 0.999)}), ("adam", {"betas": (0.9, 1.0)}),
    ("adam", {"betas": (-0.1, 0.999)}), ("adam", {"weight_decay": -0.1}),
    ("adam", {"lr": -1.0, "eps": -1.0}),
    ("adamw", {"betas": (0.9, 1.5)}), ("adamw", {"weight_decay": -1.0}),
    ("adamw", {"decoupled_weight_decay": True}),
    ("adagrad", {"lr": -0.1}), ("adagrad", {"lr_decay": -1.0}),
    ("adagrad", {"weight_decay": -1.0}), ("adagrad", {"initial_accumulator_value": -1.0}),
    ("adagrad", {"eps": -1.0}),
    ("adadelta", {"lr": -1.0}), ("adadelta", {"rho": 1.5}), ("adadelta", {"rho": -0.1}),
    ("adadelta", {"eps": -1.0}), ("adadelta", {"weight_decay": -1.0}),
    ("rmsprop", {"lr": -1.0}), ("rmsprop", {"eps": -1.0}), ("rmsprop", {"momentum": -1.0}),
    ("rmsprop", {"weight_decay": -1.0}), ("rmsprop", {"alpha": -0.5}),
    ("adamax", {"lr": -1.0}), ("adamax", {"betas": (0.9, 1.0)}), ("adamax", {"eps": -1.0}),
    ("nadam", {"momentum_decay": -1.0}), ("nadam", {"betas": (1.0, 0.9)}),
    ("nadam", {"weight_decay": -1.0}),
    ("radam", {"lr": -1.0}), ("radam", {"betas": (0.9, 1.0)}), ("radam", {"eps": -1.0}),
    ("sparseadam", {"lr": 0.0}), ("sparseadam", {"eps": 0.0}),
    ("sparseadam", {"betas": (1.0, 0.9)}), ("sparseadam", {"foreach": True}),
    ("sparseadam", {"weight_decay": 0.1}),
]


@pytest.mark.parametrize("opt_id,params", REFUSED,
                         ids=[f"{o}-{'-'.join(p)}" for o, p in REFUSED])
def test_refusals_match_torch(opt_id, params):
    with pytest.raises((ValueError, TypeError)) as theirs:
        getattr(torch.optim, TORCH_CLASS[opt_id])([torch.zeros(2, requires_grad=True)], **params)
    with pytest.raises(HyperparameterError) as ours:
        REGISTRY[opt_id](**params)
    assert ours.value.message == str(theirs.value)
    assert ours.value.name in params


@pytest.mark.parametrize("opt_id,params", [
    ("sgd", {"lr": "0.1"}), ("sgd", {"nesterov": "yes"}), ("adam", {"betas": (0.9,)}),
    ("adam", {"betas": (0.9, "x")}), ("adam", {"amsgrad": 1}), ("rmsprop", {"momentum": None}),
    ("adagrad", {"lr": True}), ("sparseadam", {"lr": float("nan")}),
])
def test_wrong_types_refused(opt_id, params):
    with pytest.raises(HyperparameterError) as e:
        REGISTRY[opt_id](**params)
    assert e.value.name in params


@pytest.mark.parametrize("opt_id", MINE)
def test_implementation_flags(opt_id):
    if opt_id == "sparseadam":
        return
    sig = inspect.signature(getattr(torch.optim, TORCH_CLASS[opt_id]).__init__)
    flags = {k: False for k in IMPLEMENTATION_FLAGS if k in sig.parameters}
    assert REGISTRY[opt_id](**flags).group == REGISTRY[opt_id]().group
