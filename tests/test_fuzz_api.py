"""Schema fuzzing: schemathesis generates requests for every operation of /openapi.json
(valid ones, and ones that break the schema on purpose) and checks every answer: never a
5xx, status codes, content types, headers and bodies as the schema documents them,
requests that break the schema refused.  The WebSocket routes are not in the schema.

Left out: schemathesis's `positive_data_acceptance`, which expects every request that
fits the JSON Schema to succeed.  The schema cannot say everything PyTorch checks (lr
> 0 with nesterov needs momentum > 0, a OneCycleLR schedule must cover the steps, the
limits of app/config.py ...), so such a request is rightly a 422; those 422s are
checked like any other answer.

Bounded for CI: MAX_EXAMPLES per operation (environment OPTPLAY_FUZZ_EXAMPLES).  The
bodies that carry run specs (run, map, tune, code, exports) hold every optimizer's and
scheduler's typed keywords, 17 run models each with the 14 schedulers' (nested ones
again): schemathesis's coverage phase, which enumerates every boundary value and every
way to break each property of that tree, would send over 300,000 requests there. For
them it sends the valid boundary values (how PyTorch's edges were found: LinearLR's
start_factor 5e-324 on lr = 0), and the fuzzing phase the invalid bodies, as for every
operation.
"""

from __future__ import annotations

import json
import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode, checks

from app.main import app

MAX_EXAMPLES = int(os.environ.get("OPTPLAY_FUZZ_EXAMPLES", "40"))

RUN_BODIES = r"^/api/v1/(run|map|tune|code|export/(csv|json|html))"
ANIMATION = r"^/api/v1/export/gif"
# A GIF is drawn frame by frame (a second or more at the largest frames x width): its
# operation gets a few examples and no boundary enumeration, or it alone would take
# most of the suite.
ANIMATION_EXAMPLES = max(1, MAX_EXAMPLES // 4)

schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(
    path_regex=f"{RUN_BODIES}|{ANIMATION}")
run_bodies = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=RUN_BODIES)
run_bodies.config.phases.coverage.generation.update(modes=[GenerationMode.POSITIVE])
animation = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=ANIMATION)
animation.config.phases.coverage.enabled = False


def no_non_finite_numbers(ctx, response, case):
    """JSON answers hold no NaN or Infinity: a browser's JSON.parse refuses them."""
    if "json" not in response.headers.get("content-type", [""])[0]:
        return None

    def refuse(name):
        raise AssertionError(f"{name} in a JSON answer")

    if response.content:
        json.loads(response.content, parse_constant=refuse)
    return None


def security_headers(ctx, response, case):
    """Every answer carries the headers of app/headers.py."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    assert headers.get("x-content-type-options") == ["nosniff"], headers
    assert "script-src 'self'" in headers.get("content-security-policy", [""])[0]
    assert headers.get("referrer-policy")
    return None


def answers_as_documented(case):
    case.call_and_validate(excluded_checks=[checks.positive_data_acceptance],
                           additional_checks=[no_non_finite_numbers, security_headers])


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    answers_as_documented(case)


@run_bodies.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_with_run_specs_answers_as_documented(case):
    answers_as_documented(case)


@animation.parametrize()
@settings(max_examples=ANIMATION_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_animated_export_answers_as_documented(case):
    answers_as_documented(case)
