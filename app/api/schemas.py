"""Response models: they document the answers in the OpenAPI schema (and the schema
fuzzing checks every answer against them)."""

from __future__ import annotations

from typing import Any, Literal, Optional

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


class RunAnswer(BaseModel):
    optimizer: str
    status: Literal["ok", "diverged"]
    steps_done: int
    path: list[Point] = Field(description="path[k]: the parameters after k steps")
    loss: list[float] = Field(description="loss[k]: the surface's value at path[k]")
    lr: list[float] = Field(description="lr[k]: the learning rate step k + 1 used")
    escaped_at: Optional[int] = Field(None, description="first step outside the view")
    label: Optional[str] = None
    color: Optional[str] = None
    state: Optional[dict[str, list[Any]]] = Field(
        None, description="optimizer state after every step, under state_dict() names")
    grad: Optional[list[Optional[Point]]] = Field(None, description="gradient each step used")
    lrs: Optional[list[list[float]]] = Field(
        None, description="with groups: [lr_x, lr_y], each param group's lr before step k + 1")
    evals: Optional[list[list[Point]]] = Field(
        None, description="LBFGS with state: the points step(closure) evaluated, per step")
    diverged_reason: Optional[dict[str, str]] = Field(
        None, description="why a diverged run blew up, in words: {\"en\", \"zh\"}")


class RunResponse(BaseModel):
    surface: SurfaceInfo
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


class OptimizerInfo(BaseModel):
    id: str
    name: str
    family: Literal["torch", "extra"]
    doc: str
    doc_zh: str
    rule: str
    rule_mathml: list[RuleLine] = Field(description="the update rule, typeset, line by line")
    rule_note: list[NoteSegment] = Field(description="words around the rule (English)")
    rule_note_zh: list[NoteSegment] = Field(description="words around the rule (Chinese)")
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
    rule_mathml: list[RuleLine]
    rule_note: list[NoteSegment]
    rule_note_zh: list[NoteSegment]
    params: list[HyperInfo]


class SchedulerCatalogue(BaseModel):
    schedulers: list[SchedulerInfo]


class SurfaceCatalogue(BaseModel):
    surfaces: list[SurfaceInfo]


class GridAnswer(BaseModel):
    surface: SurfaceInfo
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
