"""Surfaces from data, in the engine: the built-in data sets, the full-data minimum and
the default view, the loss and gradient against real torch (MSELoss, BCEWithLogitsLoss,
full data and batches), the losses along a path against the direct sum, and the batch
order against the contract's words and the recorded PyTorch paths."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from app.engine.data import (DATASETS, BatchOrder, DataError, DataObjective, builtin_surface,
                             check_labels, check_pairs, data_surface, inline)
from app.engine.data.fit import default_domain, minimum, separable
from app.engine.data.sets import CONTRACT, EXTRA

from .conftest import REFERENCE

NEXT = REFERENCE / "trajectories-next"


# --------------------------------------------------------------------------- data sets

def test_app_data_is_the_shared_contract():
    shared = REFERENCE / "datasets.json"
    if not shared.is_file():
        pytest.skip(f"shared contract not found at {shared}")
    assert json.loads(CONTRACT.read_text()) == json.loads(shared.read_text())


def test_builtins_come_from_the_app_data_in_file_order():
    entries = {k: v for k, v in json.loads(CONTRACT.read_text()).items()
               if not k.startswith("_")}
    assert list(DATASETS)[:len(entries)] == list(entries)
    for key, e in entries.items():
        d = DATASETS[key]
        assert (d.model, d.name, d.name_zh) == (e["model"], e["name"], e["name_zh"])
        assert d.x.tolist() == e["x"] and d.y.tolist() == e["y"]
        s = builtin_surface(key)
        assert [list(r) for r in s.domain] == e["domain"]
        assert list(s.start) == e["start"]
        assert s.to_dict()["data"] == key and s.to_dict()["n"] == len(e["x"])


def test_our_own_data_sets_teach_what_they_say():
    extra = {k: v for k, v in json.loads(EXTRA.read_text()).items() if not k.startswith("_")}
    assert list(DATASETS)[-len(extra):] == list(extra)
    for key, e in extra.items():
        assert e["about"] and e["about_zh"] and e["name_zh"], key
    # "rent": x not centred, a long narrow valley
    rent = builtin_surface("rent")
    low, high = np.linalg.eigvalsh(rent.formula.hessian(rent.minima[0]))
    assert high / low > 100
    # "sleep": separable classes, no minimum, the loss falls as w grows
    sleep = builtin_surface("sleep")
    assert sleep.minima == () and separable(sleep.formula.x, sleep.formula.y)
    losses = [sleep.formula.value_and_grad_at(w, -6.0 * w)[0] for w in (1.0, 2.0, 4.0, 8.0)]
    assert losses == sorted(losses, reverse=True)


def test_every_builtin_frames_its_minimum_and_start():
    for key in DATASETS:
        s = builtin_surface(key)
        (x0, x1), (y0, y1) = s.domain
        for w, b in (*s.minima, s.start):
            assert x0 <= w <= x1 and y0 <= b <= y1, (key, (w, b), s.domain)


# --------------------------------------------------------------------------- checks

@pytest.mark.parametrize("x, y, field, index", [
    ([], [], "x", None),
    ([1.0, float("nan")], [1.0, 2.0], "x", 1),
    ([1.0, 2.0], [float("inf"), 2.0], "y", 0),
    ([1.0, 2.0, 3.0], [1.0, 2.0], "y", None),
    ([1.0] * 11, [1.0] * 11, "x", None),
])
def test_bad_pairs_name_the_field(x, y, field, index):
    with pytest.raises(DataError) as e:
        check_pairs(x, y, limit=10)
    assert (e.value.field, e.value.index) == (field, index)


def test_logistic_labels_are_zero_or_one():
    check_labels([0.0, 1.0, 1.0], "logistic")
    check_labels([0.5, 3.0], "linear")
    with pytest.raises(DataError) as e:
        check_labels([0.0, 1.0, 0.5, 2.0], "logistic")
    assert (e.value.field, e.value.index) == ("y", 2)
    with pytest.raises(DataError):
        data_surface(DATASETS["line"], "logistic")


# --------------------------------------------------------------------------- the minimum

def _noisy_line(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(1.5, 1.2, n)
    return x, 2.0 * x - 1.0 + rng.normal(0, 0.7, n)


def _noisy_labels(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 1.5, n)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(1.7 * x - 1.2)))).astype(float)
    return x, y


def test_linear_minimum_is_least_squares():
    x, y = _noisy_line(200, 1)
    f = DataObjective(x, y, "linear")
    w, b = minimum(f)
    ref = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]
    assert abs(w - ref[0]) <= 1e-12 * abs(ref[0]) and abs(b - ref[1]) <= 1e-12 * abs(ref[1])
    _, gw, gb = f.value_and_grad_at(w, b)
    assert abs(gw) < 1e-13 and abs(gb) < 1e-13


def test_logistic_minimum_is_where_the_gradient_vanishes():
    for seed in range(5):
        x, y = _noisy_labels(300, seed)
        f = DataObjective(x, y, "logistic")
        w, b = minimum(f)
        _, gw, gb = f.value_and_grad_at(w, b)
        assert abs(gw) < 1e-14 and abs(gb) < 1e-14, (seed, gw, gb)
        assert np.all(np.linalg.eigvalsh(f.hessian((w, b))) > 0)
        # and nothing nearby is lower
        here = f.value_and_grad_at(w, b)[0]
        for dw, db in ((1e-4, 0), (-1e-4, 0), (0, 1e-4), (0, -1e-4)):
            assert f.value_and_grad_at(w + dw, b + db)[0] > here


@pytest.mark.parametrize("x, y", [
    ([0.0, 1.0, 2.0, 3.0], [0, 0, 1, 1]),          # a threshold between the classes
    ([0.0, 1.0, 2.0, 3.0], [1, 1, 0, 0]),          # the other way round
    ([0.0, 1.0, 1.0, 2.0], [0, 0, 1, 1]),          # one shared x at the border
    ([0.0, 1.0, 2.0], [1, 1, 1]),                   # one class only
])
def test_separable_classes_have_no_minimum(x, y):
    f = DataObjective(x, y, "logistic")
    assert separable(f.x, f.y) and minimum(f) is None
    s = data_surface(inline(x, y, "logistic"))
    assert s.minima == () and s.to_dict()["minima"] == []
    # the view still holds the start and is a real rectangle
    (x0, x1), (y0, y1) = s.domain
    assert x0 < 0 < x1 and y0 < 0 < y1


def test_overlapping_classes_have_a_minimum():
    f = DataObjective([0.0, 1.0, 2.0, 3.0], [0, 1, 0, 1], "logistic")
    assert not separable(f.x, f.y) and minimum(f) is not None


def test_one_x_value_has_no_linear_minimum():
    s = data_surface(inline([2.0, 2.0, 2.0], [1.0, 3.0, 2.0]))
    assert s.minima == ()
    (x0, x1), (y0, y1) = s.domain
    assert x0 < x1 and y0 < y1


def test_inline_view_frames_the_minimum_and_the_start():
    for seed in range(4):
        for x, y, model in (_noisy_line(50, seed) + ("linear",),
                            _noisy_labels(80, seed) + ("logistic",)):
            s = data_surface(inline(x, y, model))
            assert s.start == (0.0, 0.0)
            (x0, x1), (y0, y1) = s.domain
            (w, b), = s.minima
            assert x0 < w < x1 and y0 < b < y1 and x0 < 0 < x1 and y0 < 0 < y1
            # round ends: a few significant digits
            assert all(float(f"{v:.3g}") == v for v in (x0, x1, y0, y1))


def test_view_stays_within_the_coordinate_limit():
    f = DataObjective([1e-9, 2e-9, 3e-9], [1.0, 2.0, 4.0], "linear")
    (x0, x1), (y0, y1) = default_domain(f, minimum(f), (0.0, 0.0), 1e6)
    assert -1e6 <= x0 < x1 <= 1e6 and -1e6 <= y0 < y1 <= 1e6


# --------------------------------------------------------------------------- against torch

torch = None


def _torch():
    global torch
    torch = pytest.importorskip("torch")
    return torch


def _torch_loss_grad(x, y, model, w, b):
    t = _torch()
    xt = t.tensor(np.asarray(x), dtype=t.float64)
    yt = t.tensor(np.asarray(y), dtype=t.float64)
    p = t.tensor([w, b], dtype=t.float64, requires_grad=True)
    loss_fn = t.nn.MSELoss() if model == "linear" else t.nn.BCEWithLogitsLoss()
    loss = loss_fn(p[0] * xt + p[1], yt)
    loss.backward()
    return loss.item(), p.grad.numpy().copy()


def _close(a, b, rel):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.linalg.norm(a - b) <= rel * np.linalg.norm(b)


POINTS = [(-1.3, 2.2), (0.4, -0.7), (3.1, 1.9), (-2.5, -3.0), (0.9, 0.1)]


@pytest.mark.parametrize("model", ["linear", "logistic"])
@pytest.mark.parametrize("n", [1, 7, 64, 1000])
def test_full_data_loss_and_gradient_match_torch(model, n):
    x, y = (_noisy_line if model == "linear" else _noisy_labels)(n, n)
    f = DataObjective(x, y, model)
    for w, b in POINTS:
        ref_v, ref_g = _torch_loss_grad(x, y, model, w, b)
        v, gw, gb = f.value_and_grad_at(w, b)
        assert _close(v, ref_v, 1e-12) and _close([gw, gb], ref_g, 1e-12), (w, b)
        assert f.value_and_grad_of_floats(w, b) == (v, gw, gb)
        # on a (1, 2) array, as the array loop evaluates it
        va, ga = f.value_and_grad(np.array([[w, b]]))
        assert (va[0], ga[0, 0], ga[0, 1]) == (v, gw, gb)
    # many points at once (chunks; sufficient statistics for a large linear batch)
    P = np.array(POINTS * 40)
    V, G = f.value_and_grad(P)
    Vv = f.value(P)
    for k, (w, b) in enumerate(POINTS):
        ref_v, ref_g = _torch_loss_grad(x, y, model, w, b)
        assert _close(V[k], ref_v, 1e-12) and _close(G[k], ref_g, 1e-12), (k, w, b)
        assert _close(Vv[k], ref_v, 1e-12)


@pytest.mark.parametrize("model", ["linear", "logistic"])
def test_batch_loss_and_gradient_match_torch(model):
    x, y = (_noisy_line if model == "linear" else _noisy_labels)(500, 3)
    f = DataObjective(x, y, model)
    order = BatchOrder(len(x), 32, seed=5)
    for j in (0, 1, 15, 16, 17, 40):          # the last batch of an epoch has 20 points
        idx = order.indices(j)
        for w, b in POINTS[:3]:
            ref_v, ref_g = _torch_loss_grad(x[idx], y[idx], model, w, b)
            v, gw, gb = f.value_and_grad_of_floats_on(w, b, idx)
            assert _close(v, ref_v, 1e-12) and _close([gw, gb], ref_g, 1e-12), (j, w, b)
        V, G = f.value_and_grad_on(np.array(POINTS * 100), idx)
        for k, (w, b) in enumerate(POINTS):
            ref_v, ref_g = _torch_loss_grad(x[idx], y[idx], model, w, b)
            assert _close(V[k], ref_v, 1e-12) and _close(G[k], ref_g, 1e-12), (j, k)


def test_logistic_far_from_the_boundary_matches_torch():
    """Large logits: torch's own formula ((1 - y) z - log_sigmoid(z), sigmoid as
    1 / (1 + exp(-z))) is kept, overflow of exp(-z) included."""
    x = np.array([-3.0, -1.0, 0.5, 2.0, 4.0])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    f = DataObjective(x, y, "logistic")
    with np.errstate(over="ignore"):
        for w, b in ((300.0, -10.0), (-250.0, 40.0), (40.0, -1.0)):
            ref_v, ref_g = _torch_loss_grad(x, y, "logistic", w, b)
            v, gw, gb = f.value_and_grad_at(w, b)
            assert _close(v, ref_v, 1e-12) and _close([gw, gb], ref_g, 1e-12)


def test_hessian_is_the_curvature_of_the_loss():
    for model, (x, y) in (("linear", _noisy_line(40, 2)), ("logistic", _noisy_labels(40, 2))):
        f = DataObjective(x, y, model)
        for w, b in POINTS[:3]:
            h = 1e-5
            num = np.array([
                (np.array(f.value_and_grad_at(w + h, b)[1:]) -
                 np.array(f.value_and_grad_at(w - h, b)[1:])) / (2 * h),
                (np.array(f.value_and_grad_at(w, b + h)[1:]) -
                 np.array(f.value_and_grad_at(w, b - h)[1:])) / (2 * h)])
            assert np.allclose(f.hessian((w, b)), num, rtol=1e-6, atol=1e-9)
        assert f.hessian(np.array(POINTS)).shape == (len(POINTS), 2, 2)


# --------------------------------------------------------------------------- losses along a path

def _direct(f: DataObjective, path) -> np.ndarray:
    return np.array([f.value_and_grad_at(w, b)[0] for w, b in path])


@pytest.mark.parametrize("model", ["linear", "logistic"])
@pytest.mark.parametrize("rounded", [False, True])
def test_losses_along_a_path_are_the_direct_sums(model, rounded):
    x, y = (_noisy_line if model == "linear" else _noisy_labels)(3000, 4)
    if rounded:                   # repeated pairs: the logistic sum runs over distinct ones
        x = np.round(x, 1)
    f = DataObjective(x, y, model)
    rng = np.random.default_rng(0)
    best = minimum(f)
    path = np.cumsum(rng.normal(0, 0.05, (300, 2)), axis=0) + [-1.0, 2.0]
    path = np.vstack([path, [best], [best[0] + 1e-7, best[1]]])   # near the minimum too
    got, want = f.losses_along(path), _direct(f, path)
    assert np.max(np.abs(got - want) / want) < 1e-12
    assert np.array_equal(f.value(path), got)


def test_tiny_logistic_losses_keep_their_digits():
    """All points right by a wide margin: each term is log1p(exp(-z)) ~ 1e-17, which
    log(1 + exp(-z)) would round to nothing."""
    x = np.linspace(1.0, 3.0, 200)
    f = DataObjective(x, np.ones_like(x), "logistic")
    path = np.column_stack([np.linspace(10.0, 20.0, 50), np.linspace(0.0, 5.0, 50)])
    got, want = f.losses_along(path), _direct(f, path)
    assert np.all(want > 0) and np.max(np.abs(got - want) / want) < 1e-12


def test_logistic_losses_of_both_classes_keep_their_digits():
    """Both classes right by a wide margin: torch's (1 - y) z - log_sigmoid(z) is
    z - (z - 1e-9) for a 0 at z = -20, which keeps only the digits z leaves; summed as
    max(sigma z, 0) + log1p(exp(-|z|)) every term keeps its own, one point or many."""
    x = np.concatenate([np.linspace(-3.0, -1.0, 50), np.linspace(1.0, 3.0, 50)])
    y = (x > 0).astype(float)
    f = DataObjective(x, y, "logistic")
    path = np.array([[20.0, 0.0], [30.0, 1.0], [15.0, -2.0]])
    for (w, b), got in zip(path, f.losses_along(path)):
        want = math.fsum(math.log1p(math.exp(-abs(w * v + b))) for v in x) / len(x)
        assert abs(got - want) <= 1e-12 * want, (w, b, got, want)
        assert abs(f.value_and_grad_at(w, b)[0] - want) <= 1e-12 * want


def test_an_infinite_logit_gives_no_finite_logistic_loss():
    """x near the float limit: where w * x overflows, torch's loss is NaN (here both far
    points are on their right side, where sigma z = -inf would add nothing); so is ours
    (the run ends there), one point or many, while the points beside stay finite."""
    f = DataObjective(np.array([1e308, -1e308, 3.0, 4.0]), np.array([1.0, 0.0, 1.0, 0.0]),
                      "logistic")
    with np.errstate(all="ignore"):
        along = f.losses_along(np.array([[2.0, 0.0], [0.5, 0.0], [1e-300, 1.0]]))
        assert not np.isfinite(along[0]) and np.isfinite(along[1:]).all()
        assert not math.isfinite(f.value_and_grad_at(2.0, 0.0)[0])
        assert math.isfinite(f.value_and_grad_at(0.5, 0.0)[0])


def test_losses_along_look_at_the_clock_between_chunks():
    x, y = _noisy_labels(20_000, 1)
    f = DataObjective(x, y, "logistic")
    calls = []
    f.losses_along(np.zeros((50, 2)), check=lambda: calls.append(1))
    assert len(calls) >= 10

    class Stop(Exception):
        pass

    def stop():
        raise Stop

    with pytest.raises(Stop):
        f.losses_along(np.zeros((50, 2)), check=stop)


# --------------------------------------------------------------------------- batch order

def test_batch_order_is_the_contracts():
    """Epoch e visits numpy.random.default_rng([k, e]).permutation(n), cut into
    consecutive batches of s, the last smaller; step j + 1 uses batch j mod B of epoch
    j div B, B = ceil(n / s)."""
    n, s, k = 27, 4, 11
    order = BatchOrder(n, s, seed=k)
    B = 7
    assert order.per_epoch == B
    for j in range(3 * B + 2):
        e, i = divmod(j, B)
        perm = np.random.default_rng([k, e]).permutation(n)
        assert order.indices(j).tolist() == perm[i * s:(i + 1) * s].tolist()
        assert order.epoch_of(j) == e
    # every epoch visits every point once; the last batch holds n - (B - 1) s points
    for e in range(3):
        seen = np.concatenate([order.indices(e * B + i) for i in range(B)])
        assert sorted(seen.tolist()) == list(range(n))
        assert len(order.indices(e * B + B - 1)) == n - (B - 1) * s
    # asked out of order, the same batches
    assert order.indices(3).tolist() == BatchOrder(n, s, seed=k).indices(3).tolist()


@pytest.mark.parametrize("model", ["linear", "logistic"])
def test_step_batches_are_the_batch_order(model):
    """StepBatches (the step loop's view: step k's batch, sliced from the epoch's data
    kept in visiting order; a linear batch from its sums) gives what the indices give,
    over several epochs."""
    x, y = (_noisy_line if model == "linear" else _noisy_labels)(50, 1)
    f = DataObjective(x, y, model)
    order = BatchOrder(50, 8, seed=2)
    steps = f.batched(order)
    for k in list(range(20)) + [3, 100, 7]:          # out of order too
        idx = order.indices(k)
        assert steps.indices(k).tolist() == idx.tolist()
        got, want = steps.value_and_grad_of_floats(0.7, -0.2, k), \
            f.value_and_grad_of_floats_on(0.7, -0.2, idx)
        if model == "logistic":
            assert got == want
        else:
            assert _close(got[0], want[0], 1e-13) and _close(got[1:], want[1:], 1e-13), k
        V, G = steps.value_and_grad(np.array([[0.7, -0.2], [1.0, 1.0]]), k)
        v, gw, gb = f.value_and_grad_of_floats_on(1.0, 1.0, idx)
        assert _close(V[1], v, 1e-14) and _close(G[1], [gw, gb], 1e-14)
        # one point on arrays (the array loop) has the float loop's bits
        V, G = steps.value_and_grad(np.array([[0.7, -0.2]]), k)
        assert (V[0], G[0, 0], G[0, 1]) == got
    with pytest.raises(ValueError):
        f.batched(BatchOrder(49, 8))


def _batch_cases():
    """(x, y, batch size): noisy lines, a line without noise, residuals tiny beside the
    data (y ~ 1e4), large offsets, and squares near the float limit."""
    rng = np.random.default_rng(7)
    x = rng.normal(3.0, 2.0, 300)
    yield x, 2.0 * x + 1.0 + rng.normal(0.0, 1.0, 300), 32
    yield x, 2.0 * x + 1.0 + rng.normal(0.0, 1.0, 300), 1
    yield x, 2.0 * x + 1.0 + rng.normal(0.0, 1.0, 300), 3
    yield x, 0.5 * x - 2.0, 8
    yield x, 1e4 + 3.0 * x + rng.normal(0.0, 1e-3, 300), 16
    yield 1e6 + x, 5.0 * x + rng.normal(0.0, 1.0, 300), 32
    yield x * 1e150, x * 1e152, 32


@pytest.mark.parametrize("case", range(7))
def test_batch_sums_give_the_direct_sums(case):
    """A linear batch from its sums (Quadratic.batch_floats, the float loop's step) is
    the direct sum (torch's operations) to 1e-12, or falls back to it: small batches,
    tiny residuals, large offsets, squares that overflow."""
    x, y, size = list(_batch_cases())[case]
    f = DataObjective(x, y, "linear")
    order = BatchOrder(len(x), size, seed=1)
    steps = f.batched(order)
    rng = np.random.default_rng(case)
    w0, b0 = f.quad.w0, f.quad.b0
    scale = max(1.0, abs(w0), abs(b0))
    points = [(w0, b0), (w0 + 1e-9 * scale, b0), (0.0, 0.0)] + \
        [(w0 + rng.normal(0, 0.3) * scale, b0 + rng.normal(0, 0.3) * scale) for _ in range(20)]
    fast = 0
    with np.errstate(all="ignore"):
        for k in range(2 * order.per_epoch):
            sums = steps._sums if steps._e == k // order.per_epoch else None
            for w, b in points:
                got = steps.value_and_grad_of_floats(w, b, k)
                want = f.value_and_grad_of_floats_on(w, b, order.indices(k))
                if not np.isfinite(want[0]):
                    assert got == want
                    continue
                assert abs(got[0] - want[0]) <= 1e-12 * want[0], (k, w, b, got, want)
                g = np.hypot(want[1], want[2])
                assert np.hypot(got[1] - want[1], got[2] - want[2]) <= 1e-12 * g + 1e-15 * \
                    np.sqrt(want[0]) * np.sqrt(np.mean(x[order.indices(k)] ** 2) + 1.0), \
                    (k, w, b, got, want)
                if sums is not None:
                    fast += f.quad.batch_floats(w, b, sums[k % order.per_epoch]) is not None
    if case in (0, 5):         # well-posed batches take the fast way nearly always
        assert fast > 0.9 * 2 * order.per_epoch * len(points) * 0.5


def test_batch_order_without_shuffle_is_data_order():
    order = BatchOrder(10, 4, seed=3, shuffle=False)
    assert [order.indices(j).tolist() for j in range(4)] == \
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3]]


def test_batch_order_larger_than_the_data_is_one_batch_an_epoch():
    order = BatchOrder(5, 8, seed=0)
    assert order.per_epoch == 1
    assert sorted(order.indices(2).tolist()) == list(range(5))
    assert order.indices(2).tolist() == np.random.default_rng([0, 2]).permutation(5).tolist()


def _recorded() -> list[dict]:
    if not NEXT.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(NEXT.glob("*.json"))
            if "batch_loss" in json.loads(p.read_text())["expected"]]


def _surface_of(request: dict):
    s = request["surface"]
    if isinstance(s["data"], str):
        return builtin_surface(s["data"], s.get("model"), s.get("domain"))
    d = s["data"]
    return data_surface(inline(d["x"], d["y"], s.get("model", "linear")), s.get("model"),
                        s.get("domain"))


RECORDED = _recorded()


@pytest.mark.skipif(not RECORDED, reason=f"recorded paths not found at {NEXT}")
def test_recorded_batch_losses_and_losses():
    """For every recorded data case: the batch of step k + 1 (the contract's order) at
    path[k] has the recorded batch_loss, and the full-data loss along the path is the
    recorded loss."""
    for case in RECORDED:
        req, exp = case["request"], case["expected"]
        s = _surface_of(req)
        f = s.formula
        path = np.array(exp["path"])
        assert np.max(np.abs(f.losses_along(path) - exp["loss"]) / np.abs(exp["loss"])) \
            < 1e-12, case["id"]
        b = req.get("batch")
        order = s.batch_order(b["size"], b.get("seed", 0), b.get("shuffle", True)) if b else None
        for k, want in enumerate(exp["batch_loss"]):
            w, bb = path[k]
            got = f.value_and_grad_of_floats_on(w, bb, order.indices(k))[0] if order \
                else f.value_and_grad_at(w, bb)[0]
            assert abs(got - want) <= 1e-12 * abs(want), (case["id"], k, got, want)


@pytest.mark.skipif(not RECORDED, reason=f"recorded paths not found at {NEXT}")
def test_recorded_plain_sgd_steps_are_minus_lr_times_the_batch_gradient():
    cases = [c for c in RECORDED if c["request"]["runs"][0]["optimizer"] == "sgd"
             and not c["request"]["runs"][0].get("scheduler")
             and set(c["request"]["runs"][0].get("params", {})) <= {"lr"}]
    assert cases
    for case in cases:
        req, exp = case["request"], case["expected"]
        s = _surface_of(req)
        lr = req["runs"][0]["params"]["lr"]
        b = req.get("batch")
        order = s.batch_order(b["size"], b.get("seed", 0), b.get("shuffle", True)) if b else None
        path = np.array(exp["path"])
        for k in range(len(path) - 1):
            w, bb = path[k]
            _, gw, gb = s.formula.value_and_grad_of_floats_on(w, bb, order.indices(k)) \
                if order else s.formula.value_and_grad_at(w, bb)
            step = path[k + 1] - path[k]
            assert _close(step, [-lr * gw, -lr * gb], 1e-9), (case["id"], k)


# --------------------------------------------------------------------------- the step loop's calls

def _replay(case: dict) -> dict:
    """The recorded run stepped with what the step loop is given: on (1, 2) arrays,
    step k's gradient from StepBatches (or the whole data set), the scheduler stepped
    after the optimizer (ReduceLROnPlateau with the batch's loss), the full-data loss
    along the whole path at the end."""
    from app.engine.build import attach_scheduler, build_optimizer
    req = case["request"]
    run = req["runs"][0]
    s = _surface_of(req)
    f = s.formula
    b = req.get("batch")
    steps = f.batched(s.batch_order(b["size"], b.get("seed", 0), b.get("shuffle", True))) \
        if b else None
    opt = build_optimizer(run["optimizer"], run.get("params", {}), ("runs", 0))
    sched = attach_scheduler(run.get("scheduler"), opt, ("runs", 0), req["steps"])
    p = np.array([req.get("start") or list(s.start)], dtype=np.float64)
    state = opt.init(p)
    path, lrs, batch_loss = [p[0].tolist()], [], []
    for k in range(req["steps"]):
        def evaluate(q, k=k):
            return steps.value_and_grad(q, k) if steps else f.value_and_grad(q)
        lrs.append(float(opt.group["lr"]))
        value, grad = evaluate(p)
        batch_loss.append(float(value[0]))
        opt.step(p, evaluate if opt.needs_closure else grad, state)
        if sched is not None:
            sched.step(batch_loss[-1]) if getattr(sched, "needs_metric", False) else sched.step()
        path.append(p[0].tolist())
    return {"path": path, "loss": f.losses_along(np.array(path)).tolist(), "lr": lrs,
            "batch_loss": batch_loss}


@pytest.mark.skipif(not RECORDED, reason=f"recorded paths not found at {NEXT}")
def test_recorded_data_runs_replay_with_the_step_loops_calls():
    for case in RECORDED:
        exp, got = case["expected"], _replay(case)
        assert exp["status"] == "ok" and len(got["path"]) == len(exp["path"]), case["id"]
        for key, rel in (("path", 1e-9), ("loss", 1e-9), ("batch_loss", 1e-9), ("lr", 1e-12)):
            a, e = np.array(got[key], dtype=float), np.array(exp[key], dtype=float)
            err = np.max(np.abs(a - e) / np.maximum(np.abs(e), 1e-12))
            assert err <= rel, (case["id"], key, err)


@pytest.mark.skipif(not RECORDED, reason=f"recorded paths not found at {NEXT}")
def test_recorded_full_data_runs_replay_through_the_api_engine():
    """Without `batch` every step uses the whole data set: the step loop as it is runs
    a data surface through its formula interface."""
    from app.engine import run_request
    cases = [c for c in RECORDED if "batch" not in c["request"]]
    assert cases
    for case in cases:
        exp = case["expected"]
        run = run_request(case["request"])["runs"][0]
        assert (run["status"], run["steps_done"]) == (exp["status"], exp["steps_done"])
        for key in ("path", "loss", "lr"):
            a, e = np.array(run[key], dtype=float), np.array(exp[key], dtype=float)
            assert np.max(np.abs(a - e) / np.maximum(np.abs(e), 1e-12)) <= 1e-6, \
                (case["id"], key)
