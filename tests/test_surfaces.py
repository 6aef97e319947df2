"""Built-in and custom surfaces, and the diff against torch.autograd on every built-in
surface and every custom formula of the reference trajectories."""

from __future__ import annotations

import json
import math
import zlib

import numpy as np
import pytest

from app.engine.expr import FormulaError, compile_formula, parse
from app.engine.surfaces import (DATA, SURFACES, Surface, custom_surface, default_start,
                                 get_surface)

from .conftest import REFERENCE, TRAJECTORIES
from .ieee import ieee_exact
from .torch_formula import torch_function

# The custom formulas of the reference trajectories, also kept here so the diff against
# torch runs without the shared directory.
REFERENCE_CUSTOM = [
    ("-(x - 1)**2 - 2*(y + 0.5)**2 + 3", [[-3, 3], [-3, 3]]),
    ("exp(-(x**2 + y**2)/2) + 0.5*exp(-((x - 2)**2 + (y - 1)**2))", [[-3, 4], [-3, 3]]),
    ("log(1 + x**2 + y**2) + 0.1*x", [[-4, 4], [-4, 4]]),
    ("sqrt(x**2 + y**2 + 1) + cos(x)*e**(-y**2)", [[-4, 4], [-3, 3]]),
    ("x - log(x) + 0.1*(y - 1)**2", [[0.01, 4], [-2, 3]]),
    ("x**2 + (y + abs(y))**2 + 0.2*x", [[-2, 2], [-2, 2]]),
    ("x**2 + 3*sin(y)", [[-3, 3], [-3, 3]]),
    ("x/(1 + y**2) + y**2/4 + x**2/8", [[-5, 5], [-4, 4]]),
]


def _reference_customs() -> list[tuple[str, list]]:
    found = {expr: dom for expr, dom in REFERENCE_CUSTOM}
    if TRAJECTORIES.is_dir():
        for path in sorted(TRAJECTORIES.glob("*.json")):
            s = json.loads(path.read_text())["request"]["surface"]
            if isinstance(s, dict):
                found.setdefault(s["expr"], s["domain"])
    return sorted(found.items())


CUSTOMS = _reference_customs()


# --------------------------------------------------------------------------- the catalogue

def test_builtins_come_from_the_app_data_in_file_order():
    entries = json.loads(DATA.read_text())["surfaces"]
    assert list(SURFACES) == [e["id"] for e in entries]
    for e in entries:
        s = SURFACES[e["id"]]
        assert (s.name, s.expr) == (e["name"], e["expr"])
        assert [list(r) for r in s.domain] == e["domain"]
        assert [list(p) for p in s.minima] == e["minima"]
        assert [list(p) for p in s.saddles] == e.get("saddles", [])
        assert list(s.start) == e["start"]


def test_app_data_is_the_shared_contract():
    shared = REFERENCE / "surfaces.json"
    if not shared.is_file():
        pytest.skip(f"shared contract not found at {shared}")
    assert json.loads(DATA.read_text()) == json.loads(shared.read_text())


def test_data_file_lives_inside_the_app():
    assert DATA.is_file() and DATA.parent.name == "data" and DATA.parent.parent.name == "app"


def test_to_dict():
    d = SURFACES["rosenbrock"].to_dict()
    assert list(d) == ["id", "name", "expr", "latex", "domain", "minima", "saddles", "start"]
    assert d == {"id": "rosenbrock", "name": "Rosenbrock",
                 "expr": "(1 - x)**2 + 100*(y - x**2)**2",
                 "latex": "(1 - x)^{2} + 100 (y - x^{2})^{2}",
                 "domain": [[-2, 2], [-1, 3]], "minima": [[1, 1]], "saddles": [],
                 "start": [-1.2, 1.0]}
    json.dumps(d)
    assert SURFACES["saddle"].to_dict()["saddles"] == [[0, 0]]


def test_get_surface():
    assert get_surface("ackley") is SURFACES["ackley"]
    with pytest.raises(KeyError, match="nope"):
        get_surface("nope")


def test_surfaces_are_frozen():
    s = SURFACES["bowl"]
    with pytest.raises(AttributeError):
        s.expr = "x"  # type: ignore[misc]
    assert s.latex == s.formula.latex == "x^{2} + y^{2}"


@pytest.mark.parametrize("sid", list(SURFACES))
def test_builtin_surface_is_sound(sid):
    s = SURFACES[sid]
    assert isinstance(s, Surface) and s.formula.text == s.expr
    assert s.latex and "\\" not in s.latex[-1:]
    (x0, x1), (y0, y1) = s.domain
    assert x0 < x1 and y0 < y1
    assert x0 <= s.start[0] <= x1 and y0 <= s.start[1] <= y1
    v, g = s.formula.value_and_grad(np.array([s.start]))
    assert np.isfinite(v).all() and np.isfinite(g).all()
    # the listed minima and saddles are stationary points (to the digits they are given in)
    for kind, points in (("minimum", s.minima), ("saddle", s.saddles)):
        for p in points:
            assert x0 <= p[0] <= x1 and y0 <= p[1] <= y1
            if sid in ("abs_valley", "ackley"):
                continue            # a kink (|x|, sqrt(x**2 + y**2)), not a smooth minimum
            _, g = s.formula.value_and_grad(np.array([p]))
            H = s.formula.hessian(p)
            tol = 1e-3 * (1.0 + np.abs(H).max())
            assert np.abs(g).max() < tol, (sid, kind, p, g)
            if kind == "minimum":
                assert np.linalg.eigvalsh(H).min() > -1e-6 * (1 + np.abs(H).max()), (sid, p)
    # and each minimum is the lowest point nearby
    for p in s.minima:
        f0 = s.formula.value(np.array([p]))[0]
        ring = np.array(p) + 1e-2 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
        assert (s.formula.value(ring) >= f0 - 1e-9).all(), (sid, p)


def test_saddles_have_directions_down_and_up():
    H = SURFACES["saddle"].formula.hessian([0.0, 0.0])
    ev = np.linalg.eigvalsh(H)
    assert ev.min() < 0 < ev.max()


# --------------------------------------------------------------------------- custom surfaces

def test_custom_surface():
    s = custom_surface("x**2 + 3*sin(y)", [[-3, 3], [-3, 3]])
    assert (s.id, s.name, s.minima, s.saddles) == ("custom", "Custom", (), ())
    assert s.domain == ((-3.0, 3.0), (-3.0, 3.0))
    assert s.start == (-1.5, 1.5)                    # up and left of the centre
    assert s.latex == r"x^{2} + 3 \sin(y)"
    d = s.to_dict()
    assert d["id"] == "custom" and d["minima"] == [] and d["saddles"] == []
    assert d["start"] == [-1.5, 1.5]


def test_custom_surface_reuses_a_compiled_formula():
    f = compile_formula("x*y")
    assert custom_surface("x*y", [[0, 1], [0, 1]], formula=f).formula is f


def test_custom_start_moves_to_where_the_formula_is_finite():
    # log(x) is undefined left of 0: the first candidate is, the centre is not
    s = custom_surface("log(x) + y**2", [[-1, 3], [-2, 2]])
    assert s.start == (1.0, 0.0)
    v, _ = s.formula.value_and_grad(np.array([s.start]))
    assert math.isfinite(v[0])
    s = custom_surface("log(-x*y)", [[-1, 1], [-1, 1]])        # finite at (-0.5, 0.5)
    assert s.start == (-0.5, 0.5)
    nowhere = compile_formula("log(-1) + x")
    assert default_start(nowhere, [[0, 4], [0, 4]]) == (1.0, 3.0)   # none: the first
    assert custom_surface("x - log(x)", [[0.01, 4], [-2, 3]]).start == (1.0075, 1.75)


def test_custom_surface_refuses_bad_formulas():
    with pytest.raises(FormulaError):
        custom_surface("__import__('os')", [[-1, 1], [-1, 1]])


# --------------------------------------------------------------------------- torch diff

def _torch_reference(torch, text: str, x: float, y: float):
    """The reference's computation: f(param[0], param[1]), then backward()."""
    param = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
    loss = torch_function(torch, text)(param[0], param[1])
    loss.backward()
    return loss.item(), param.grad[0].item(), param.grad[1].item()


def _rel(a: float, b: float) -> float:
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


CASES = [(sid, s.expr, [list(r) for r in s.domain]) for sid, s in SURFACES.items()] + \
        [(f"custom:{expr}", expr, dom) for expr, dom in CUSTOMS]


@pytest.mark.parametrize("label, expr, domain", CASES, ids=[c[0] for c in CASES])
def test_value_and_gradient_match_torch_autograd(label, expr, domain):
    """≤ 1e-12 relative everywhere; to the bit where IEEE 754 promises it (tests/ieee.py:
    + - * /, abs and small integer powers on the same operands in the same order).  exp,
    log, pow, sin, ... are not correctly rounded, and which library computes them depends
    on the processor, so only the bound holds there."""
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    f = compile_formula(expr)
    exact = ieee_exact(f.tree)
    (x0, x1), (y0, y1) = domain
    rng = np.random.default_rng(zlib.crc32(label.encode()))
    n = 120
    P = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    P[0] = [x0, y0]
    P[1] = [(x0 + x1) / 2, (y0 + y1) / 2]
    VB, GB = f.value_and_grad(P)                 # the batch evaluator
    worst = 0.0
    for i, (x, y) in enumerate(P.tolist()):
        ref = _torch_reference(torch, expr, x, y)
        v1, g1 = f.value_and_grad(np.array([[x, y]]))  # the one-point evaluator
        ours_1 = (v1[0], g1[0, 0], g1[0, 1])
        ours_b = (VB[i], GB[i, 0], GB[i, 1])
        for ours in (ours_1, ours_b):
            if exact:
                assert tuple(map(float, ours)) == ref, (label, (x, y), ours, ref)
            for a, b in zip(ours, ref):
                worst = max(worst, _rel(float(a), b))
    assert worst <= 1e-12, (label, worst)


def test_ieee_exact_tells_arithmetic_from_library_functions():
    assert ieee_exact(parse("(1 - x)**2 + 100*(y - x**2)**2"))
    assert ieee_exact(parse("x/(1 + y**2) + abs(x*y)**3 - -x"))
    for text in ("exp(x) + y", "x**0.5", "x**y", "2**x", "sqrt(x)", "x**4", "sin(x)*y",
                 "log(1 + x**2)"):
        assert not ieee_exact(parse(text)), text


@pytest.mark.parametrize("point", [(0.0, 0.0), (-0.0, 0.0), (1.0, -0.0), (0.0, 1.0),
                                   (-1.0, 0.0)])
def test_special_points_match_torch(point):
    """Kinks, zeros and signed zeros: abs, sqrt at 0, 0**y, x/y at 0 and friends."""
    torch = pytest.importorskip("torch")
    for expr in ["abs(x) + 2*abs(y)", "x*y", "-x*y", "x**2 + (y + abs(y))**2 + 0.2*x",
                 "sqrt(x**2 + y**2)", "x**y", "x**0 + y**1", "2**x*0**y", "x/(1 + y)",
                 "log(1 + x**2 + y**2)", "tanh(x - y)", "x**3 - 3*x*y**2", "-x", "y*0"]:
        ref = _torch_reference(torch, expr, *point)
        f = compile_formula(expr)
        ours = f.value_and_grad_at(*point)
        ulps = 0 if ieee_exact(f.tree) else 4        # log(2), tanh(1): libraries differ
        for a, b in zip(ours, ref):
            assert _same_class(a, b) and (a == b or math.isnan(a)
                                          or abs(a - b) <= ulps * math.ulp(b)), \
                (expr, point, ours, ref)


def _same_class(a: float, b: float) -> bool:
    """Both NaN, or both the same infinity, or finite with the same sign (signed zeros
    included)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.copysign(1, a) == math.copysign(1, b)
