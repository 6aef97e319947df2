r"""Pieces of the optimizers' update rules in LaTeX, shared by their `rule_tex`.

A rule is a tuple of lines, 4 spaces of indent per level, in PyTorch's symbols (the
algorithm boxes of the torch.optim docs).  A line may start with a keyword
(`app.engine.rulemath.KEYWORDS`, e.g. "if:"): its words are the page's to translate, so
the TeX itself holds only symbols and PyTorch names (\texttt{lr}).
"""

from __future__ import annotations

FOR = r"for: t = 1, 2, \ldots"
RETURN = r"return: \theta_t"

# g_t, negated for maximize (torch negates the gradient before anything else).
GRADIENT = (
    r"    g_t \leftarrow \nabla f(\theta_{t-1})",
    r"    if: \texttt{maximize}",
    r"        g_t \leftarrow {-g_t}",
)

# Weight decay through the gradient (an L2 penalty).
L2 = (
    r"    if: \lambda \neq 0",
    r"        g_t \leftarrow g_t + \lambda \theta_{t-1}",
)

# Adam, NAdam, RAdam: L2, or AdamW's shrinking with decoupled_weight_decay.
DECOUPLABLE = (
    r"    if: \lambda \neq 0",
    r"        if: \texttt{decoupled_weight_decay}",
    r"            \theta_{t-1} \leftarrow \theta_{t-1} (1 - \gamma \lambda)",
    r"        else:",
    r"            g_t \leftarrow g_t + \lambda \theta_{t-1}",
)

# pytorch-optimizer's weight decay (decoupled by default; fixed_decay drops the lr).
LIBRARY_DECAY = (
    r"    if: \texttt{weight_decouple}",
    r"        \theta_{t-1} \leftarrow \theta_{t-1} (1 - \gamma \lambda)",
    r"    else:",
    r"        g_t \leftarrow g_t + \lambda \theta_{t-1}",
)

ADAM_INPUT = (r"input: \gamma\ (\texttt{lr}), (\beta_1, \beta_2)\ (\texttt{betas}), "
              r"\epsilon\ (\texttt{eps}), \lambda\ (\texttt{weight_decay})")

FIRST_MOMENT = r"    m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t"
SECOND_MOMENT = r"    v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2"

# Adam and AdamW after their weight decay: moments, AMSGrad, the bias-corrected step.
ADAM_STEP = (
    FIRST_MOMENT,
    SECOND_MOMENT,
    r"    \hat{m}_t \leftarrow m_t / (1 - \beta_1^t)",
    r"    if: \texttt{amsgrad}",
    r"        v_t^{\max} \leftarrow \max(v_{t-1}^{\max}, v_t)",
    r"        \hat{v}_t \leftarrow v_t^{\max} / (1 - \beta_2^t)",
    r"    else:",
    r"        \hat{v}_t \leftarrow v_t / (1 - \beta_2^t)",
    r"    \theta_t \leftarrow \theta_{t-1} - \gamma \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}",
)

ADAM_STATE = (r"state: m\ (\texttt{exp_avg}), v\ (\texttt{exp_avg_sq}), "
              r"v^{\max}\ (\texttt{max_exp_avg_sq}), t\ (\texttt{step})")

ADAM_INIT = r"initialize: m_0 \leftarrow 0, v_0 \leftarrow 0, v_0^{\max} \leftarrow 0"


def adaptive_step(v: str, indent: int = 1) -> str:
    """Adam's bias-corrected step over a second moment `v`, as the libraries compute it."""
    return (" " * 4 * indent + r"\theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} "
            r"\frac{m_t}{\sqrt{" + v + r"} / \sqrt{1 - \beta_2^t} + \epsilon}")
