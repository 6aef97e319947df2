"""Response models: they document the answers in the OpenAPI schema (and the schema
fuzzing checks every answer against them)."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, Field

Point = tuple[float, float]


class SurfaceInfo(BaseModel):
    id: str
    name: str
    expr: str
    latex: str
    domain: tuple[Point, Point]
    minima: list[Point]
    saddles: list[Point] = []
    start: Point


class DataSurfaceInfo(BaseModel):
    """A surface from data, as answers carry it."""

    data: str = Field(description="the data set's id, or \"inline\"")
    model: Literal["linear", "logistic"]
    n: int = Field(description="pairs (x, y)")
    name: str
    name_zh: str
    domain: tuple[Point, Point] = Field(description="[[w_min, w_max], [b_min, b_max]]")
    minima: list[Point] = Field(description="the full-data minimum; none when there is none")
    start: Point


SurfaceAnswer = Union[SurfaceInfo, DataSurfaceInfo]


class RunAnswer(BaseModel):
    optimizer: str
    status: Literal["ok", "diverged"]
    steps_done: int
    path: list[Point] = Field(description="path[k]: the parameters after k steps")
    loss: list[float] = Field(description="loss[k]: the surface's value at path[k]")
    lr: list[Optional[float]] = Field(
        description="lr[k]: the learning rate step k + 1 used; null where it is not a finite "
                    "number (a schedule can make it so: LinearLR with a tiny start_factor "
                    "on lr = 0 gives PyTorch NaN too)")
    batch_loss: Optional[list[float]] = Field(
        None, description="a surface from data: the loss of step k + 1's batch at path[k]")
    escaped_at: Optional[int] = Field(None, description="first step outside the view")
    label: Optional[str] = None
    color: Optional[str] = None
    state: Optional[dict[str, list[Any]]] = Field(
        None, description="optimizer state after every step, under state_dict() names")
    grad: Optional[list[Optional[Point]]] = Field(None, description="gradient each step used")
    lrs: Optional[list[list[Optional[float]]]] = Field(
        None, description="with groups: [lr_x, lr_y], each param group's lr before step k + 1 "
                          "(null as in lr)")
    evals: Optional[list[list[Point]]] = Field(
        None, description="LBFGS with state: the points step(closure) evaluated, per step")
    diverged_reason: Optional[dict[str, str]] = Field(
        None, description="why a diverged run blew up, in words: {\"en\", \"zh\"}")


class RunResponse(BaseModel):
    surface: SurfaceAnswer
    start: Point
    steps: int
    runs: list[RunAnswer]


class HyperInfo(BaseModel):
    name: str
    type: str
    default: Any = None
    doc: str
    doc_zh: str
    log: bool
    nullable: bool
    min: Optional[float] = None
    min_open: Optional[bool] = None
    max: Optional[float] = None
    max_open: Optional[bool] = None
    ui: Optional[list[float]] = None
    choices: Optional[list[Any]] = None
    required: Optional[bool] = None


class RuleLine(BaseModel):
    indent: int = Field(description="nesting level of the line")
    keyword: Optional[Literal["input", "initialize", "state", "for", "foreach", "if", "elif",
                              "else", "every", "return", "where"]] = Field(
        description="the words before the formula, for the page to translate")
    tex: str = Field(description="the formula in LaTeX")
    mathml: list[str] = Field(description="the formula as MathML <math> elements (a list "
                                          "of symbols is split at its commas)")


class NoteSegment(BaseModel):
    text: Optional[str] = None
    mathml: Optional[str] = None


MATH_LEFT_OUT = ("the update rule, typeset, line by line; left out (with rule_note and "
                 "rule_note_zh) when the catalogue is asked for with math=false")


class TypesetRule(BaseModel):
    rule_mathml: list[RuleLine] = Field(description="the update rule, typeset, line by line")
    rule_note: list[NoteSegment] = Field(description="words around the rule (English)")
    rule_note_zh: list[NoteSegment] = Field(description="words around the rule (Chinese)")


class RuleCatalogue(BaseModel):
    optimizers: dict[str, TypesetRule]
    schedulers: dict[str, TypesetRule]


class OptimizerInfo(BaseModel):
    id: str
    name: str
    family: Literal["torch", "extra"]
    doc: str
    doc_zh: str
    rule: str
    rule_mathml: Optional[list[RuleLine]] = Field(None, description=MATH_LEFT_OUT)
    rule_note: Optional[list[NoteSegment]] = Field(None, description="words around the rule "
                                                   "(English); left out with math=false")
    rule_note_zh: Optional[list[NoteSegment]] = Field(None, description="words around the "
                                                      "rule (Chinese); left out with math=false")
    closure: bool
    state: list[str]
    params: list[HyperInfo]


class OptimizerCatalogue(BaseModel):
    optimizers: list[OptimizerInfo]


class SchedulerInfo(BaseModel):
    id: str
    name: str
    doc: str
    doc_zh: str
    rule: str
    rule_mathml: Optional[list[RuleLine]] = Field(None, description=MATH_LEFT_OUT)
    rule_note: Optional[list[NoteSegment]] = None
    rule_note_zh: Optional[list[NoteSegment]] = None
    params: list[HyperInfo]


class SchedulerCatalogue(BaseModel):
    schedulers: list[SchedulerInfo]


class SurfaceCatalogue(BaseModel):
    surfaces: list[SurfaceInfo]


class DatasetInfo(BaseModel):
    id: str
    name: str
    name_zh: str
    model: Literal["linear", "logistic"]
    n: int
    domain: tuple[Point, Point] = Field(description="[[w_min, w_max], [b_min, b_max]]")
    start: Point
    minima: list[Point]
    about: str = ""
    about_zh: str = ""
    x: list[float]
    y: list[float]


class DatasetCatalogue(BaseModel):
    datasets: list[DatasetInfo]


class GridAnswer(BaseModel):
    surface: SurfaceAnswer
    x: list[float]
    y: list[float]
    z: list[list[Optional[float]]] = Field(description="z[j][i] = f(x[i], y[j]); null where "
                                                       "the formula is not finite")
    zmin: Optional[float]
    zmax: Optional[float]
    log_scale: bool


class ErrorItem(BaseModel):
    loc: list[Any]
    msg: str
    type: str


class ErrorAnswer(BaseModel):
    detail: list[ErrorItem]


UNPROCESSABLE = {422: {"model": ErrorAnswer, "description": "bad input: names the field"},
                 413: {"model": ErrorAnswer, "description": "request too large"},
                 429: {"model": ErrorAnswer, "description": "too many computations at once "
                       "from this address: names the limit"}}


class TunedRun(BaseModel):
    """One run's tuning: the lr grid, what each value gave, the value chosen."""

    optimizer: str
    label: Optional[str] = None
    method: Literal["batch", "single", "none"] = Field(
        description="batch: the whole grid in one batch; single: one run per value (lbfgs; "
                    "groups, zero_grad, events), over a quarter of the grid; none: the lr "
                    "has no effect (see note), the run is raced as it is")
    lr: list[float] = Field(description="the lr values tried, increasing, evenly spaced "
                                        "in log around default_lr")
    default_lr: float = Field(description="PyTorch's default lr of the optimizer")
    objective: list[Optional[float]] = Field(
        description="per lr value: the final loss, or the steps to a minimum; null where "
                    "the run diverged (or, for steps, never came within tol)")
    final_loss: list[Optional[float]] = Field(description="per lr value: the loss at the "
                                                          "last finite point")
    diverged: list[bool]
    steps_to_min: list[int] = Field(description="per lr value: the first step within tol "
                                                "of a minimum; -1 if never")
    chosen: Optional[int] = Field(description="index of the best value; null if none")
    best_lr: Optional[float] = Field(description="lr[chosen]: the lr the race uses")
    note: Optional[Literal["scheduler_sets_lr", "groups_set_lr", "all_diverged",
                           "none_reached"]] = Field(
        description="why nothing was chosen: the scheduler (OneCycleLR, CyclicLR) sets the "
                    "lr; both param groups set their own; every value diverged; no value "
                    "reached a minimum")


class TuneResponse(BaseModel):
    objective: Literal["final_loss", "steps"]
    n: int
    tol: float = Field(description="the distance within which a minimum counts as reached")
    minima: list[Point] = Field(description="the minima `steps` measures the way to")
    runs: list[TunedRun]
    race: RunResponse = Field(description="POST /api/v1/run's answer with each run at "
                                          "its best_lr (a run without one as it was)")
