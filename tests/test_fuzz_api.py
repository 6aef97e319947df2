"""Schema fuzzing: schemathesis generates requests for every operation of /openapi.json
(valid ones, and ones that break the schema on purpose) and checks every answer: never a
5xx, status codes, content types, headers and bodies as the schema documents them,
requests that break the schema refused.  The WebSocket routes are not in the schema.

Left out: schemathesis's `positive_data_acceptance`, which expects every request that
fits the JSON Schema to succeed.  The schema cannot say everything PyTorch checks (lr
> 0 with nesterov needs momentum > 0, a OneCycleLR schedule must cover the steps, the
limits of app/config.py ...), so such a request is rightly a 422; those 422s are
checked like any other answer.

Bounded for CI: MAX_EXAMPLES per operation (environment OPTPLAY_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import json
import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.main import app

MAX_EXAMPLES = int(os.environ.get("OPTPLAY_FUZZ_EXAMPLES", "40"))

schema = schemathesis.openapi.from_asgi("/openapi.json", app)


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


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    case.call_and_validate(excluded_checks=[checks.positive_data_acceptance],
                           additional_checks=[no_non_finite_numbers, security_headers])
