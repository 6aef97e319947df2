"""Request bodies checked in the worker pool, not on the event loop.

    async def run(body: Checked[RunRequest], request: Request): ...
        req = RunRequest.model_validate(body)        # in the worker: compute.computed

Validating a request compiles its formula and builds its optimizers and schedulers (a
schedule is replayed to see that PyTorch could run it that long): milliseconds to
seconds, which on the event loop would make every other client wait.  So FastAPI checks
only that the body is a JSON object, and the endpoint validates it in the worker, under
the client's slot, the gate and the budget, like the rest of its work.  The OpenAPI
schema still names the model (`Checked[M]` documents itself as M), and the refusals are
the same 422s: a pydantic ValidationError from the worker is answered as FastAPI's own
(errors.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body
from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema


class _Documented:
    """A JSON object, documented in OpenAPI as `model` (its components and all)."""

    def __init__(self, model: type[BaseModel]):
        self.model = model

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.dict_schema(keys_schema=core_schema.str_schema())

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict:
        # generate_inner (not handler(...)): a $ref to the model's own component, as
        # FastAPI documents a body declared as the model itself.
        return handler.generate_json_schema.generate_inner(self.model.__pydantic_core_schema__)


class _Checked:
    """`Checked[M]`: the annotation of a body parameter (see the module's docstring)."""

    def __getitem__(self, model: type[BaseModel]) -> Any:
        return Annotated[dict, _Documented(model), Body()]


Checked = _Checked()
