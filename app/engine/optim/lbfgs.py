r"""L-BFGS, as torch.optim.LBFGS: a port of torch/optim/lbfgs.py, line search included.

One call of `step(p, closure, state)` is one `optimizer.step(closure)` of PyTorch: up to
max_iter quasi-Newton iterations and max_eval evaluations of the closure.

    input: lr, max_iter, max_eval (default max_iter * 5 // 4), tolerance_grad,
           tolerance_change, history_size, line_search_fn (None or "strong_wolfe")

    evaluate f, g at theta;  stop if max|g| <= tolerance_grad
    repeat up to max_iter times:
        first iteration ever:  d = -g, H_diag = 1
        otherwise:  y = g - g_prev, s = t * d;  if y.s > 1e-10 remember (y, s, 1/(y.s))
                    (at most history_size pairs) and set H_diag = y.s / y.y;
                    d = -H g by the two-loop recursion over the remembered pairs
        t = min(1, 1 / sum|g|) * lr on the very first iteration, else t = lr
        stop if g.d > -tolerance_change
        line_search_fn None:   theta += t d, re-evaluate (except on the last iteration)
        "strong_wolfe":        t from a strong-Wolfe line search (c1 = 1e-4, c2 = 0.9,
                               cubic interpolation, at most max_eval - evals so far trials),
                               then theta += t d
        stop at max_iter, max_eval, max|g| <= tolerance_grad, max|t d| <= tolerance_change
        or |f - f_prev| < tolerance_change

The state is PyTorch's (one per run): func_evals, n_iter, d, t, old_dirs, old_stps, ro,
H_diag, prev_flat_grad, prev_loss, al, with vectors as (x, y) pairs of floats.  Every run
of a batch is independent: the batch is looped over, one run at a time, in plain Python
floats (the parameter has two elements).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

import numpy as np

from . import _rules
from .base import Hyper, HyperparameterError, Optimizer, lr_hyper, register

_INF = math.inf
_NAN = math.nan


def _div(a, b):
    """a / b with IEEE semantics (torch divides tensors: x / 0 is inf or nan, not an error)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def _amax2(a: float, b: float) -> float:
    """torch.max over two numbers: NaN if either is NaN."""
    if a != a or b != b:
        return _NAN
    return a if a >= b else b


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    # ported from torch/optim/lbfgs.py (itself from torch/optim polyinterp.lua)
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    # d1 = g1 + g2 - 3*(f1-f2)/(x1-x2); d2 = sqrt(d1^2 - g1*g2);
    # min_pos = x2 - (x2 - x1)*((g2 + d2 - d1)/(g2 - g1 + 2*d2))
    d1 = g1 + g2 - _div(3 * (f1 - f2), x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * _div(g2 + d2 - d1, g2 - g1 + 2 * d2)
        else:
            min_pos = x1 - (x1 - x2) * _div(g1 + d2 - d1, g1 - g2 + 2 * d2)
        return min(max(min_pos, xmin_bound), xmax_bound)
    else:
        return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    # ported from torch/optim/lbfgs.py (itself from torch/optim lswolfe.lua)
    d_norm = _amax2(abs(d[0]), abs(d[1]))
    # evaluate objective and gradient using initial step
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new[0] * d[0] + g_new[1] * d[1]

    # bracket an interval containing a point satisfying the Wolfe criteria
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        # check conditions
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new]
            bracket_gtd = [gtd_prev, gtd_new]
            break

        if abs(gtd_new) <= -c2 * gtd:
            bracket = [t]
            bracket_f = [f_new]
            bracket_g = [g_new]
            done = True
            break

        if gtd_new >= 0:
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new]
            bracket_gtd = [gtd_prev, gtd_new]
            break

        # interpolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))

        # next step
        t_prev = tmp
        f_prev = f_new
        g_prev = g_new
        gtd_prev = gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new[0] * d[0] + g_new[1] * d[1]
        ls_iter += 1

    # reached max number of iterations?
    if ls_iter == max_ls:
        bracket = [0, t]
        bracket_f = [f, f_new]
        bracket_g = [g, g_new]

    # zoom phase: we now have a point satisfying the criteria, or a bracket around it.
    # We refine the bracket until we find the exact point satisfying the criteria.
    insuf_progress = False
    # find high and low points in bracket
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        # line-search bracket is so small
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break

        # compute new trial value
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])

        # test that we are making sufficient progress: in case `t` is so close to the
        # boundary, we mark that we are making insufficient progress, and if
        #   + we have made insufficient progress in the last step, or
        #   + `t` is at one of the boundary,
        # we move `t` to a position which is `0.1 * len(bracket)` away from the nearest
        # boundary point.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            # interpolation close to boundary
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                # evaluate at 0.1 away from boundary
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        # Evaluate new point
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new[0] * d[0] + g_new[1] * d[1]
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # Armijo condition not satisfied or not lower than lowest point
            bracket[high_pos] = t
            bracket_f[high_pos] = f_new
            bracket_g[high_pos] = g_new
            bracket_gtd[high_pos] = gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                # Wolfe conditions satisfied
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # old high becomes new low
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]

            # new point becomes new low
            bracket[low_pos] = t
            bracket_f[low_pos] = f_new
            bracket_g[low_pos] = g_new
            bracket_gtd[low_pos] = gtd_new

    # return stuff
    if low_pos >= len(bracket):
        # A single-point bracket whose loss is NaN: torch raises IndexError here.  The
        # line search stepped where the function is undefined; report NaN, which ends
        # the run as diverged instead of crashing.
        return _NAN, (_NAN, _NAN), _NAN, ls_func_evals
    t = bracket[low_pos]
    f_new = bracket_f[low_pos]
    g_new = bracket_g[low_pos]
    return f_new, g_new, t, ls_func_evals


def _pick(value, b: int):
    """Run b's value of a hyperparameter: a scalar, or row b of a (B, 1) sweep array."""
    if isinstance(value, np.ndarray):
        return value.reshape(-1)[b].item() if value.size > 1 else value.item()
    return value


def _max_eval_default(group: dict) -> None:
    if group["max_eval"] is None:
        group["max_eval"] = group["max_iter"] * 5 // 4


def _fails_in_step(group: dict) -> None:
    """Values PyTorch accepts in the constructor but then fails on inside step()."""
    if group["history_size"] < 1:
        raise HyperparameterError(
            "history_size", f"history_size must be >= 1, got {group['history_size']}")
    if (group["line_search_fn"] == "strong_wolfe" and group["max_iter"] >= 1
            and group["max_eval"] < 1):
        raise HyperparameterError(
            "max_eval", "max_eval must be >= 1 with line_search_fn='strong_wolfe', "
                        f"got {group['max_eval']}")


@register
class LBFGS(Optimizer):
    r"""L-BFGS (torch.optim.LBFGS): a quasi-Newton method; one step is up to max_iter
    iterations, each moving along d = −H_k g with step t.

    d = −g on the first iteration; then, with y = g_k − g_{k−1}, s = t·d_{k−1} kept when
    yᵀs > 1e-10 (the last history_size pairs), d = −H_k g by the two-loop recursion
    with H_0 = (yᵀs / yᵀy) I.
    t = min(1, 1/‖g‖₁)·lr on the very first iteration, else lr; with
    line_search_fn = "strong_wolfe", t is chosen to satisfy the strong Wolfe conditions
    (c1 = 1e-4, c2 = 0.9, cubic interpolation).
    θ ← θ + t·d.  The step ends after max_iter iterations or max_eval evaluations, or when
    max|g| ≤ tolerance_grad, max|t·d| ≤ tolerance_change or |Δf| < tolerance_change.
    Defaults: lr = 1, max_iter = 20, max_eval = max_iter·5//4, tolerance_grad = 1e-7,
    tolerance_change = 1e-9, history_size = 100, line_search_fn = None.
    """

    id = "lbfgs"
    torch_name = "LBFGS"
    family = "torch"
    needs_closure = True
    implementation_flags = ()
    hypers = (
        replace(lr_hyper(1.0, ui=(1e-3, 10.0),
                         doc="learning rate: the step t along the quasi-Newton direction "
                             "(the line search's first trial with strong_wolfe)"),
                doc_zh="学习率：沿拟牛顿方向前进的步长 t（使用 strong_wolfe 时是线搜索的初始试探步长）"),
        Hyper("max_iter", "int", 20, "maximal number of iterations per optimizer step",
              low=0, high=1000, ui=(1, 100),
              doc_zh="每次 optimizer.step() 内最多迭代的次数"),
        Hyper("max_eval", "int", None,
              "maximal number of function evaluations per optimizer step "
              "(null: max_iter * 5 // 4)",
              low=0, high=10000, ui=(1, 200), nullable=True,
              doc_zh="每次 optimizer.step() 内最多计算函数值的次数（null 表示 max_iter * 5 // 4）"),
        Hyper("tolerance_grad", "float", 1e-7,
              "stop when the largest gradient component is at most this",
              ui=(1e-12, 1e-1), log=True,
              doc_zh="梯度各分量绝对值的最大值不超过此值时停止"),
        Hyper("tolerance_change", "float", 1e-9,
              "stop when the step or the change of the loss is smaller than this",
              ui=(1e-15, 1e-1), log=True,
              doc_zh="步长或损失的变化小于此值时停止"),
        Hyper("history_size", "int", 100,
              "number of (y, s) pairs remembered to approximate the inverse Hessian",
              low=1, high=1000, ui=(1, 100),
              doc_zh="用来近似 Hessian 逆矩阵所保存的 (y, s) 向量对的个数"),
        Hyper("line_search_fn", "choice", None,
              "line search: null (fixed step t = lr) or \"strong_wolfe\"",
              choices=(None, "strong_wolfe"), nullable=True,
              message="only 'strong_wolfe' is supported",
              doc_zh="线搜索方法：null（固定步长 t = lr）或 \"strong_wolfe\"（强 Wolfe 条件）"),
    )
    checks = ("lr", "max_iter", "max_eval", _max_eval_default, "line_search_fn",
              "history_size", _fails_in_step)
    state_names = ("func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
                   "prev_flat_grad", "prev_loss", "al")
    summary = ("A quasi-Newton method: builds a curvature estimate from recent gradient "
               "changes and takes several line-searched steps per call. Used for smooth, "
               "full-batch, deterministic problems (e.g. style transfer, small models).")
    summary_zh = ("一种拟牛顿法：用最近几次梯度的变化估计曲率，每次调用内做多步（可带线搜索）的迭代。"
                  "适用于光滑、全批量、确定性的问题（例如风格迁移、小模型）。")

    rule_tex = (
        r"input: \gamma\ (\texttt{lr}), K\ (\texttt{max_iter}), m\ (\texttt{history_size}), "
        r"\texttt{max_eval}, \texttt{tolerance_grad}, \texttt{tolerance_change}, \texttt{line_search_fn}",
        r"state: d\ (\texttt{d}), \alpha\ (\texttt{t}), \mathcal{H}\ (\texttt{old_dirs}, \texttt{old_stps})",
        _rules.FOR,
        r"    for: k = 1, \ldots, K",
        r"        g_k \leftarrow \nabla f(\theta_{k-1})",
        r"        if: k = 1",
        r"            d_k \leftarrow {-g_k}",
        r"        else:",
        r"            y \leftarrow g_k - g_{k-1}, s \leftarrow \alpha_{k-1} d_{k-1}",
        r"            if: y^\top s > 10^{-10}",
        r"                \mathcal{H} \leftarrow \mathcal{H} \cup \{(s, y)\}",
        r"            d_k \leftarrow {-H_k g_k}",
        r"        \alpha_k \leftarrow \gamma",
        r"        \theta_k \leftarrow \theta_{k-1} + \alpha_k d_k",
        _rules.RETURN,
        r"where: H_0 = \frac{y^\top s}{y^\top y} I",
    )
    rule_note = ("One step() call runs up to max_iter iterations. $H_k g_k$ comes from the two-loop "
                 "recursion over the last $m$ pairs in $\\mathcal{H}$. The very first iteration "
                 "uses $\\alpha_1 = \\min(1, 1/\\lVert g_1 \\rVert_1)\\,\\gamma$; with "
                 "line_search_fn = \"strong_wolfe\" a line search picks $\\alpha_k$. The step "
                 "stops early when the gradient, the move or the change of f is below the "
                 "tolerances, or after max_eval evaluations.")
    rule_note_zh = ("一次 step() 调用最多做 max_iter 次迭代。$H_k g_k$ 由对 $\\mathcal{H}$ 中最近 "
                    "$m$ 对向量的双循环递推算出。第一次迭代的步长是 "
                    "$\\alpha_1 = \\min(1, 1/\\lVert g_1 \\rVert_1)\\,\\gamma$；"
                    "line_search_fn = \"strong_wolfe\" 时由线搜索决定 $\\alpha_k$。"
                    "当梯度、位移或 f 的变化小于容差，或函数求值次数达到 max_eval 时提前结束。")

    def init(self, p: np.ndarray) -> dict:
        # Run 0's state is the dict itself, under torch's names; other runs' are in "_more".
        return {"_more": [{} for _ in range(len(p) - 1)]}

    def step(self, p: np.ndarray, closure: Callable, state: dict) -> np.ndarray:
        runs = [state, *state["_more"]]
        losses = np.empty(len(p))
        for b, run_state in enumerate(runs):
            losses[b] = self._step_one(p, b, closure, run_state)
        return losses

    def _step_one(self, p: np.ndarray, b: int, closure: Callable, state: dict) -> float:
        group = self.group
        lr = _pick(group["lr"], b)
        max_iter = _pick(group["max_iter"], b)
        max_eval = _pick(group["max_eval"], b)
        tolerance_grad = _pick(group["tolerance_grad"], b)
        tolerance_change = _pick(group["tolerance_change"], b)
        line_search_fn = group["line_search_fn"]
        history_size = _pick(group["history_size"], b)

        x0 = float(p[b, 0])
        x1 = float(p[b, 1])

        def evaluate(a0: float, a1: float):
            value, grad = closure(np.array([[a0, a1]]))
            grad = np.asarray(grad, dtype=np.float64).reshape(-1)
            return float(np.asarray(value).reshape(-1)[0]), (float(grad[0]), float(grad[1]))

        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        # evaluate initial f(x) and df/dx
        orig_loss, flat_grad = evaluate(x0, x1)
        loss = orig_loss
        current_evals = 1
        state["func_evals"] += 1

        opt_cond = _amax2(abs(flat_grad[0]), abs(flat_grad[1])) <= tolerance_grad

        # optimal condition
        if opt_cond:
            return orig_loss

        # cached state
        d = state.get("d")
        t = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        # optimize for a max of max_iter iterations
        while n_iter < max_iter:
            # keep track of nb of iterations
            n_iter += 1
            state["n_iter"] += 1

            ############################################################
            # compute gradient descent direction
            ############################################################
            g0, g1 = flat_grad
            if state["n_iter"] == 1:
                d = (-g0, -g1)
                old_dirs = []
                old_stps = []
                ro = []
                H_diag = 1
            else:
                # do lbfgs update (update memory)
                y = (g0 - prev_flat_grad[0], g1 - prev_flat_grad[1])
                s = (d[0] * t, d[1] * t)
                ys = y[0] * s[0] + y[1] * s[1]  # y*s
                if ys > 1e-10:
                    # updating memory
                    if len(old_dirs) == history_size:
                        # shift history by one (limited-memory)
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)

                    # store new direction/step
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)

                    # update scale of initial Hessian approximation
                    H_diag = _div(ys, y[0] * y[0] + y[1] * y[1])  # (y*y)

                # compute the approximate (L-BFGS) inverse Hessian multiplied by the gradient
                num_old = len(old_dirs)

                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]

                # iteration in L-BFGS loop collapsed to use just one buffer
                # (i = num_old - 1 down to 0: al[i] = s_i.q * ro_i; q -= al[i] * y_i)
                q0, q1 = -g0, -g1
                al_reversed = []
                for (s0, s1), (y0, y1), rho in zip(reversed(old_stps), reversed(old_dirs),
                                                   reversed(ro)):
                    a = (s0 * q0 + s1 * q1) * rho
                    al_reversed.append(a)
                    q0 = q0 + -a * y0
                    q1 = q1 + -a * y1
                al[:num_old] = al_reversed[::-1]

                # multiply by initial Hessian; r/d is the final direction
                # (i = 0 up to num_old - 1: be_i = y_i.r * ro_i; r += (al[i] - be_i) * s_i)
                r0 = q0 * H_diag
                r1 = q1 * H_diag
                for (s0, s1), (y0, y1), rho, a in zip(old_stps, old_dirs, ro, al):
                    be_i = (y0 * r0 + y1 * r1) * rho
                    c = a - be_i
                    r0 = r0 + c * s0
                    r1 = r1 + c * s1
                d = (r0, r1)

            prev_flat_grad = flat_grad
            prev_loss = loss

            ############################################################
            # compute step length
            ############################################################
            # reset initial guess for step size
            if state["n_iter"] == 1:
                t = min(1.0, _div(1.0, abs(g0) + abs(g1))) * lr
            else:
                t = lr

            # directional derivative
            gtd = g0 * d[0] + g1 * d[1]  # g * d

            # directional derivative is below tolerance
            if gtd > -tolerance_change:
                break

            # optional line search: user function
            ls_func_evals = 0
            if line_search_fn is not None:
                def obj_func(x, step, direction):
                    return evaluate(x[0] + step * direction[0], x[1] + step * direction[1])

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, (x0, x1), t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                x0 = x0 + t * d[0]
                x1 = x1 + t * d[1]
                if t != t:                      # the line search failed (see above)
                    current_evals += ls_func_evals
                    state["func_evals"] += ls_func_evals
                    break
                opt_cond = _amax2(abs(flat_grad[0]), abs(flat_grad[1])) <= tolerance_grad
            else:
                # no line search, simply move with fixed-step
                x0 = x0 + t * d[0]
                x1 = x1 + t * d[1]
                if n_iter != max_iter:
                    # re-evaluate function only if not in last iteration
                    loss, flat_grad = evaluate(x0, x1)
                    opt_cond = _amax2(abs(flat_grad[0]), abs(flat_grad[1])) <= tolerance_grad
                    ls_func_evals = 1

            # update func eval
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            ############################################################
            # check conditions
            ############################################################
            if n_iter == max_iter:
                break

            if current_evals >= max_eval:
                break

            # optimal condition
            if opt_cond:
                break

            # lack of progress
            if _amax2(abs(d[0] * t), abs(d[1] * t)) <= tolerance_change:
                break

            if abs(loss - prev_loss) < tolerance_change:
                break

        p[b, 0] = x0
        p[b, 1] = x1
        state["d"] = d
        state["t"] = t
        state["old_dirs"] = old_dirs
        state["old_stps"] = old_stps
        state["ro"] = ro
        state["H_diag"] = H_diag
        state["prev_flat_grad"] = prev_flat_grad
        state["prev_loss"] = prev_loss
        return orig_loss
