"""The request of POST /api/v1/run as pydantic models: its shape, types and limits, and
the OpenAPI schema.

The models of an optimizer's and a scheduler's keyword arguments are generated from
their `Hyper` specs, so a keyword added to an optimizer or a scheduler shows up in the
schema, the catalogue and the check at once.  Ranges are checked by the engine's one
validator (engine/hyper.py, with PyTorch's messages) when the run is built, and only
documented here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    RootModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    PrivateAttr,
    StrictBool,
    StrictInt,
    Tag,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..config import env_name, settings
from .data import DATASETS, MODELS, DataError, DataSurface, check_labels, data_surface
from .data import inline as inline_dataset
from .expr import Formula, FormulaError, compile_formula
from .hyper import MAX_LIST, Hyper
from .optim import REGISTRY as OPTIMIZERS
from .sched import REGISTRY as SCHEDULERS
from .surfaces import SURFACES, Surface, custom_surface

FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Strict = ConfigDict(extra="forbid")


def refused(model: str, loc: tuple, msg: str) -> ValidationError:
    """A 422 at `loc` inside the request, raised from a check of the whole request."""
    return ValidationError.from_exception_data(model, [InitErrorDetails(
        type=PydanticCustomError("value_error", "{msg}", {"msg": msg}), loc=loc, input=None)])


def _bounded(v: float, what: str) -> float:
    limit = settings().max_coordinate
    if abs(v) > limit:
        raise PydanticCustomError("limit", f"{{what}} must lie within ±{limit:g} "
                                  f"({env_name('max_coordinate')})",
                                  {"what": what, "limit": limit})
    return v


Coordinate = Annotated[FiniteFloat, Field(description="a coordinate, |v| ≤ max_coordinate")]


class FormulaSurface(BaseModel):
    """A formula typed by a user, in the grammar of surfaces.json (never run as code)."""

    model_config = Strict
    expr: str = Field(description="formula in x and y: + - * / ** ( ), numbers, pi, e, "
                                  "sin cos tan exp log sqrt abs tanh",
                      examples=["x**2 + 3*sin(y)"])
    domain: tuple[tuple[Coordinate, Coordinate], tuple[Coordinate, Coordinate]] = Field(
        description="[[x_min, x_max], [y_min, y_max]]", examples=[[[-3, 3], [-3, 3]]])

    @field_validator("expr")
    @classmethod
    def _parse(cls, v: str) -> str:
        formula_or_error(v)
        return v

    @field_validator("domain")
    @classmethod
    def _order(cls, v):
        return _ordered_domain(v, "xy")


def _ordered_domain(v, axes: str):
    """Both ends of each axis within max_coordinate, the lower below the upper."""
    for axis, (lo, hi) in zip(axes, v):
        _bounded(lo, f"domain {axis}"), _bounded(hi, f"domain {axis}")
        if not lo < hi:
            raise PydanticCustomError("domain", "domain of {axis}: the lower end must be "
                                      "below the upper end", {"axis": axis})
    return v


def formula_or_error(text: str) -> Formula:
    """Compile a typed formula, or raise the pydantic error that names what and where."""
    s = settings()
    if len(text) > s.max_formula_length:
        raise PydanticCustomError("formula", "formula too long: {n} characters (limit "
                                  "{limit}, {setting})", {"n": len(text),
                                                          "limit": s.max_formula_length,
                                                          "setting": env_name(
                                                              "max_formula_length")})
    try:
        return _compiled(text, s.max_formula_length, s.max_formula_depth)
    except FormulaError as e:
        message = str(e)
        if e.too_deep:
            message = f"{message.removesuffix(')')}, {env_name('max_formula_depth')})"
        raise PydanticCustomError("formula", "{message}", {"message": message,
                                                           "column": e.column}) from None


@lru_cache(maxsize=512)
def _compiled(text: str, max_length: int, max_depth: int) -> Formula:
    return compile_formula(text, max_length=max_length, max_depth=max_depth)


SurfaceId = Literal[tuple(SURFACES)]  # type: ignore[valid-type]
DataSetId = Literal[tuple(DATASETS)]  # type: ignore[valid-type]


def _count(v: Any, name: str) -> Any:
    """A list of more pairs than max_data_points is refused before its numbers are read."""
    limit = settings().max_data_points
    if isinstance(v, list) and len(v) > limit:
        raise PydanticCustomError("limit", "{name}: {n} values is over the limit of {limit} "
                                  "pairs ({setting})",
                                  {"name": name, "n": len(v), "limit": limit,
                                   "setting": env_name("max_data_points")})
    return v


class InlineData(BaseModel):
    """Your own data: pairs (x[i], y[i]) of finite numbers."""

    model_config = Strict
    x: list[FiniteFloat] = Field(min_length=1, description="the feature, one number per "
                                 "pair (1 to max_data_points pairs)")
    y: list[FiniteFloat] = Field(min_length=1, description="the target, one per x (0 or 1 "
                                 "for a logistic model)")

    @field_validator("x", "y", mode="before")
    @classmethod
    def _not_too_many(cls, v: Any, info: ValidationInfo) -> Any:
        return _count(v, info.field_name)

    @field_validator("y")
    @classmethod
    def _as_many_as_x(cls, v: list, info: ValidationInfo) -> list:
        x = info.data.get("x")
        if x is not None and len(v) != len(x):
            raise PydanticCustomError("length", "y has {ny} values and x has {nx}: give one "
                                      "y per x", {"ny": len(v), "nx": len(x)})
        return v


def _data_kind(v: Any) -> str:
    return "id" if isinstance(v, str) else "inline"


class DataSurfaceSpec(BaseModel):
    """The loss of a one-feature model over a data set, as a surface over p = (w, b)."""

    model_config = Strict
    data: Annotated[Union[Annotated[DataSetId, Tag("id")], Annotated[InlineData, Tag("inline")]],
                    Discriminator(_data_kind)] = Field(
        description="a built-in data set's id (GET /api/v1/datasets), or {x, y}",
        examples=["line", {"x": [0.5, 1.0, 2.0], "y": [1.1, 2.0, 3.9]}])
    model: Optional[Literal[MODELS]] = Field(  # type: ignore[valid-type]
        None, description="linear: w·x + b with torch.nn.MSELoss(); logistic: logit w·x + b "
        "with torch.nn.BCEWithLogitsLoss(). Default: the data set's own; linear for inline data")
    domain: Optional[tuple[tuple[Coordinate, Coordinate], tuple[Coordinate, Coordinate]]] = Field(
        None, description="[[w_min, w_max], [b_min, b_max]]; default: the data set's, or one "
        "that frames the full-data minimum")
    _resolved: Any = PrivateAttr(None)

    @field_validator("domain")
    @classmethod
    def _order(cls, v):
        return v if v is None else _ordered_domain(v, "wb")

    @model_validator(mode="after")
    def _labels(self):
        model = self.model
        if isinstance(self.data, str):
            if model is not None:
                try:
                    check_labels(DATASETS[self.data].y, model)
                except DataError as e:
                    raise _data_error(("model",), f"the data set '{self.data}' cannot take "
                                      f"this model: {e.msg}", self.model) from None
        else:
            try:
                check_labels(self.data.y, model or "linear")
            except DataError as e:
                raise _data_error(("data", "y", e.index), e.msg, self.data.y[e.index]) from None
        return self


def _data_error(loc: tuple, msg: str, value: Any) -> ValidationError:
    """A validation error at `loc` below the model that raises it."""
    return ValidationError.from_exception_data("DataSurfaceSpec", [InitErrorDetails(
        type=PydanticCustomError("data", "{message}", {"message": msg}), loc=loc,
        input=value)])


def _surface_kind(v: Any) -> str:
    if isinstance(v, str):
        return "id"
    if isinstance(v, DataSurfaceSpec) or (isinstance(v, dict) and "data" in v):
        return "data"
    return "formula"


SurfaceSpec = Annotated[Union[Annotated[SurfaceId, Tag("id")],
                              Annotated[FormulaSurface, Tag("formula")],
                              Annotated[DataSurfaceSpec, Tag("data")]],
                        Discriminator(_surface_kind)]


def resolve_surface(spec: str | FormulaSurface | DataSurfaceSpec) -> Surface | DataSurface:
    """What the engine runs on: a Surface, or a DataSurface (the same attributes: id,
    domain, minima, start, formula, to_dict())."""
    if isinstance(spec, str):
        return SURFACES[spec]
    if isinstance(spec, DataSurfaceSpec):
        if spec._resolved is None:      # inline data is fitted once per request
            spec._resolved = _data_surface(spec)
        return spec._resolved
    domain = [list(spec.domain[0]), list(spec.domain[1])]
    return custom_surface(spec.expr, domain, formula=formula_or_error(spec.expr))


def _data_surface(spec: DataSurfaceSpec) -> DataSurface:
    dataset = DATASETS[spec.data] if isinstance(spec.data, str) else \
        inline_dataset(spec.data.x, spec.data.y, spec.model or "linear")
    return data_surface(dataset, spec.model, spec.domain, limit=settings().max_coordinate)


class BatchSpec(BaseModel):
    """Mini-batches, shared by every run: epoch e visits the data in the order
    numpy.random.default_rng([seed, e]).permutation(n) (data order when shuffle is
    false), cut into batches of `size`, the last one smaller."""

    model_config = Strict
    size: StrictInt = Field(ge=1, description="points per batch (≤ max_data_points)")
    seed: StrictInt = Field(0, ge=0, le=2**63 - 1, description="the order's random seed")
    shuffle: StrictBool = Field(True, description="a new order each epoch; false: data order")

    @field_validator("size")
    @classmethod
    def _at_most_the_data(cls, v: int) -> int:
        limit = settings().max_data_points
        if v > limit:
            raise PydanticCustomError("limit", "size: {n} is over the limit of {limit} "
                                      "({setting})", {"n": v, "limit": limit,
                                                      "setting": env_name("max_data_points")})
        return v


def batch_needs_data(surface: Any, batch: Any) -> None:
    """`batch` only makes sense on a surface from data (a pydantic error at `batch`)."""
    if batch is not None and not isinstance(surface, DataSurfaceSpec):
        raise ValidationError.from_exception_data("batch", [InitErrorDetails(
            type=PydanticCustomError("batch", "batch needs a surface from data "
                                     "(surface.data): a formula has no data to batch", {}),
            loc=("batch",), input=None)])


def batch_order(req: Any, surface: Any):
    """The request's BatchOrder on `surface` (a resolved DataSurface), or None: every
    step then uses the whole data set."""
    if getattr(req, "batch", None) is None or not isinstance(surface, DataSurface):
        return None
    b = req.batch
    return surface.batch_order(b.size, b.seed, b.shuffle)


class NoiseSpec(BaseModel):
    """Seeded Gaussian noise added to every gradient: a stand-in for mini-batch noise."""

    model_config = Strict
    std: FiniteFloat = Field(0.0, ge=0, le=1e6, description="standard deviation σ")
    seed: StrictInt = Field(0, ge=0, le=2**63 - 1, description="random seed")


def _one_or_per_group(v: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(v)
    except ValidationError:
        raise PydanticCustomError("per_group", "Input should be a number, or a list of one "
                                  "number per param group (x and y)") from None


# A keyword PyTorch takes per param group (CyclicLR's max_lr): one number, or one each.
PerGroup = Annotated[Union[FiniteFloat, Annotated[list[FiniteFloat], Field(min_length=1,
                                                                             max_length=2)]],
                     WrapValidator(_one_or_per_group)]


def _param_type(h: Hyper):
    """The pydantic type of one keyword argument."""
    if h.kind == "float":
        t: Any = FiniteFloat
        if h.per_group:
            t = PerGroup
    elif h.kind == "int":
        t = StrictInt
    elif h.kind == "bool":
        t = StrictBool
    elif h.kind == "pair":
        el = Optional[FiniteFloat] if h.nullable else FiniteFloat
        t = tuple[el, el]
    elif h.kind == "choice":
        t = Literal[tuple(h.choices)]
    elif h.kind == "int_list":
        t = Annotated[list[StrictInt], Field(max_length=MAX_LIST)]
    elif h.kind == "optimizer":
        t = InnerRun
    else:
        t = list["SchedulerSpec"]       # SequentialLR's children: resolved below
    return Optional[t] if h.nullable and h.kind != "pair" else t


def _schema_extra(h: Hyper) -> dict:
    extra: dict[str, Any] = {}
    if h.low is not None and h.kind in ("float", "int"):
        extra["exclusiveMinimum" if h.low_open else "minimum"] = h.low
    if h.high is not None and h.kind in ("float", "int"):
        extra["exclusiveMaximum" if h.high_open else "maximum"] = h.high
    if h.log:
        extra["x-log-scale"] = True
    return extra


def _param_fields(hypers) -> dict:
    """Keyword arguments as model fields: None (torch's default) unless required."""
    return {h.name: (_param_type(h), Field(... if h.required else None, description=h.doc,
                                           json_schema_extra=_schema_extra(h) or None))
            for h in hypers}


@lru_cache(maxsize=None)
def params_model(optimizer_id: str) -> type[BaseModel]:
    cls = OPTIMIZERS[optimizer_id]
    return create_model(f"{cls.torch_name}Params", __config__=Strict,
                        __doc__=f"Keyword arguments of {cls.torch_name}; any subset, the "
                                f"rest take the defaults.", **_param_fields(cls.hypers))


def _scheduler_model(name: str) -> type[BaseModel]:
    cls = SCHEDULERS[name]
    P = create_model(f"{name}Params", __config__=Strict,
                     __doc__=f"Keyword arguments of torch.optim.lr_scheduler.{name}; the "
                             f"required ones and any subset of the rest.",
                     **_param_fields(cls.all_hypers()))
    return create_model(
        f"{name}Spec", __config__=Strict, __doc__=cls.summary or name,
        name=(Literal[name], ...),
        params=(P, Field(default_factory=dict, validate_default=True)))


SCHEDULER_MODELS = {name: _scheduler_model(name) for name in SCHEDULERS}

# A name that is none of them is checked against this model, so that the 422 says
# where: runs.0.scheduler.name, "Input should be 'StepLR', ..." (it is no part of the
# schema: it only ever refuses).
UNKNOWN_SCHEDULER = "unknown scheduler"
_SchedulerName = create_model("SchedulerSpec", __config__=Strict,
                              name=(Literal[tuple(SCHEDULERS)], ...),  # type: ignore[valid-type]
                              params=(dict[str, JsonValue], Field(default_factory=dict)))


def _refuse_unknown_scheduler(v: Any) -> Any:
    _SchedulerName.model_validate(v)          # raises: the name is none of SCHEDULERS
    raise PydanticCustomError("scheduler", "unknown scheduler")


def _scheduler_tag(v: Any) -> str:
    name = v.get("name") if isinstance(v, dict) else getattr(v, "name", None)
    return name if isinstance(name, str) and name in SCHEDULER_MODELS else UNKNOWN_SCHEDULER


_SchedulerUnion = Annotated[
    Union[tuple(Annotated[m, Tag(n)] for n, m in SCHEDULER_MODELS.items())  # type: ignore[misc]
          + (Annotated[SkipJsonSchema[Annotated[Any, BeforeValidator(_refuse_unknown_scheduler)]],
                       Tag(UNKNOWN_SCHEDULER)],)],
    Discriminator(_scheduler_tag)]


class SchedulerSpec(RootModel[_SchedulerUnion]):
    """A torch.optim.lr_scheduler class by name, with its keyword arguments."""


for _model in SCHEDULER_MODELS.values():          # SequentialLR's children are specs too
    if not _model.__pydantic_complete__:
        _model.model_fields["params"].annotation.model_rebuild(
            _types_namespace={"SchedulerSpec": SchedulerSpec})
        _model.model_rebuild()


class InnerRun(BaseModel):
    """The optimizer that a wrapper such as lookahead drives."""

    model_config = Strict
    optimizer: Literal[tuple(i for i in OPTIMIZERS if i != "lookahead")]  # type: ignore[valid-type]
    # Untyped in the schema: its keywords depend on `optimizer`.  They are checked when
    # the inner optimizer is built (hyper.check_params).
    params: dict[str, JsonValue] = Field(default_factory=dict)


MAX_EVENTS = 16


def _group_models(optimizer_id: str) -> tuple[Any, Any]:
    """(groups, one event) models of a run of this optimizer: their values are its
    keywords (Lookahead's param groups are its inner optimizer's: any inner keywords,
    checked when the inner optimizer is built)."""
    cls = OPTIMIZERS[optimizer_id]
    P: Any = dict[str, JsonValue] if optimizer_id == "lookahead" else params_model(optimizer_id)
    groups = create_model(
        f"{cls.torch_name}Groups", __config__=Strict,
        __doc__="One param group per coordinate: torch.optim."
                f"{cls.torch_name}([{{'params': [x], **x}}, {{'params': [y], **y}}], **params). "
                "A key left out or empty takes the run's params.",
        x=(Optional[P], Field(None, description="group of the parameter x")),
        y=(Optional[P], Field(None, description="group of the parameter y")))
    event = create_model(
        f"{cls.torch_name}Event", __config__=Strict,
        __doc__="A change of course after `at` calls of optimizer.step()",
        at=(StrictInt, Field(ge=1, description="after this many steps (1 .. steps - 1, "
                                                "strictly increasing)")),
        params=(P, Field(default_factory=dict, description="keywords to change")),
        state=(Literal["keep", "reset"], Field(
            "keep", description="keep: write the values into every param group; reset: build "
                                "the optimizer anew (no load_state_dict), its state empty")))
    return groups, event


def _run_model(optimizer_id: str) -> type[BaseModel]:
    cls = OPTIMIZERS[optimizer_id]
    P = params_model(optimizer_id)
    Groups, Event = _group_models(optimizer_id)
    return create_model(
        f"{cls.torch_name}Run", __config__=Strict,
        __doc__=f"One run of torch.optim {cls.torch_name}" if cls.family == "torch"
        else f"One run of {cls.torch_name} (pytorch-optimizer)",
        optimizer=(Literal[optimizer_id], ...),
        params=(P, Field(default_factory=P)),
        scheduler=(Optional[SchedulerSpec], None),
        noise=(Optional[NoiseSpec], None),
        groups=(Optional[Groups], Field(None, description="a param group per coordinate")),
        zero_grad=(Literal["every_step", "never"], Field(
            "every_step", description="never: .grad is never cleared, each backward adds to it")),
        events=(Optional[Annotated[list[Event], Field(max_length=MAX_EVENTS)]], Field(
            None, description="changes of course at given steps (no scheduler with them)")),
        label=(Optional[Annotated[str, Field(max_length=80)]], None),
        color=(Optional[Annotated[str, Field(max_length=32, pattern=r"^[#a-zA-Z0-9(),.% ]*$")]],
               None))


RUN_MODELS = {i: _run_model(i) for i in OPTIMIZERS}


def _optimizer_tag(v: Any) -> str | None:
    if isinstance(v, dict):
        name = v.get("optimizer")
        return name if isinstance(name, str) and name in RUN_MODELS else None
    return getattr(v, "optimizer", None)


RunSpecModel = Annotated[Union[tuple(Annotated[m, Tag(i)] for i, m in RUN_MODELS.items())],  # type: ignore[misc]
                         Discriminator(_optimizer_tag, custom_error_type="optimizer",
                                       custom_error_message="unknown optimizer: 'optimizer' must be "
                                       "one of " + ", ".join(OPTIMIZERS))]


class RunRequest(BaseModel):
    """The body of POST /api/v1/run (and of a WebSocket /api/v1/stream message)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 200,
        "runs": [{"optimizer": "sgd", "params": {"lr": 0.001, "momentum": 0.9, "nesterov": True}},
                 {"optimizer": "adam", "params": {"lr": 0.05},
                  "scheduler": {"name": "StepLR", "params": {"step_size": 50, "gamma": 0.5}}}]}]})

    surface: SurfaceSpec = Field(description="a built-in surface id, {expr, domain}, or "
                                             "{data, model?, domain?}")
    start: Optional[tuple[Coordinate, Coordinate]] = Field(
        None, description="start point; the surface's default when left out")
    steps: StrictInt = Field(100, ge=1, description="optimizer steps per run (≤ max_steps)")
    batch: Optional[BatchSpec] = Field(None, description="mini-batches (a surface from data "
                                       "only); without it every step uses the whole data set")
    runs: list[RunSpecModel] = Field(min_length=1, description="optimizers to race (≤ max_runs)")
    state: StrictBool = Field(False, description="also return the optimizer state and "
                                                 "gradient after every step")

    @model_validator(mode="before")
    @classmethod
    def _count_first(cls, data: Any) -> Any:
        # Too many runs is refused before any of them is validated: a body of thousands
        # of runs answers as fast as one of two.
        if isinstance(data, dict) and isinstance(data.get("runs"), list):
            n, limit = len(data["runs"]), settings().max_runs
            if n > limit:
                raise PydanticCustomError("limit", "runs: {n} runs is over the limit of "
                                          "{limit} ({setting})",
                                          {"n": n, "limit": limit,
                                           "setting": env_name("max_runs")})
        return data

    @model_validator(mode="after")
    def _batch_on_data(self):
        batch_needs_data(self.surface, self.batch)
        return self

    @model_validator(mode="after")
    def _limits(self):
        s = settings()
        if self.steps > s.max_steps:
            raise PydanticCustomError("limit", "steps: {n} is over the limit of {limit} "
                                      "({setting})", {"n": self.steps, "limit": s.max_steps,
                                                      "setting": env_name("max_steps")})
        if self.state and self.steps > s.max_state_steps:
            raise PydanticCustomError("limit", "steps: {n} is over the limit of {limit} when "
                                      "state is asked for ({setting})",
                                      {"n": self.steps, "limit": s.max_state_steps,
                                       "setting": env_name("max_state_steps")})
        if len(self.runs) > s.max_runs:
            raise PydanticCustomError("limit", "runs: {n} runs is over the limit of {limit} "
                                      "({setting})", {"n": len(self.runs), "limit": s.max_runs,
                                                      "setting": env_name("max_runs")})
        if self.start is not None:
            _bounded(self.start[0], "start"), _bounded(self.start[1], "start")
        return self

    @model_validator(mode="after")
    def _events(self):
        """Events come one after another between the first and the last step, and never
        beside a scheduler (their values are the run's keywords: the engine checks them)."""
        for i, run in enumerate(self.runs):
            if not run.events:
                continue
            if run.scheduler is not None:
                raise refused("RunRequest", ("runs", i, "events"),
                              "a run with events cannot have a scheduler: an event sets "
                              "the values a scheduler would overwrite")
            last = 0
            for j, event in enumerate(run.events):
                if not last < event.at <= self.steps - 1:
                    raise refused("RunRequest", ("runs", i, "events", j, "at"),
                                  f"at must lie in {last + 1}..{self.steps - 1} (after an "
                                  f"earlier event, before the last step)")
                last = event.at
        return self


def params_of(run: BaseModel) -> dict:
    """The keyword arguments the user set, as plain Python values (torch's defaults fill
    in the rest inside the optimizer)."""
    return _set_values(run.params)


def scheduler_of(run: BaseModel) -> dict | None:
    """The run's scheduler as {"name", "params"} with the keywords the user set, children
    of SequentialLR / ChainedScheduler likewise."""
    return None if run.scheduler is None else run.scheduler.model_dump(exclude_unset=True)


def groups_of(run: BaseModel) -> dict | None:
    """The run's param groups: {"x": {...}, "y": {...}} of the values each group sets."""
    if run.groups is None:
        return None
    return {c: _set_values(getattr(run.groups, c)) for c in ("x", "y")}


def events_of(run: BaseModel) -> list[dict] | None:
    if run.events is None:
        return None
    return [{"at": e.at, "params": _set_values(e.params), "state": e.state} for e in run.events]


def _set_values(model: Any) -> dict:
    if model is None:
        return {}
    if isinstance(model, dict):
        return dict(model)
    return model.model_dump(exclude_none=False, exclude_unset=True)
