"""The JSON API keeps the promises of its OpenAPI document under generated input.

Schemathesis reads /openapi.json and, for every operation, sends bounded numbers of
requests that fit the document and that break it, as a shopper and as a merchant, then
runs all its checks on each answer: no 5xx, status codes, content types, headers and
bodies as documented, invalid input refused, valid input accepted, authentication
enforced. Generation is derandomized, so a failure is the same on the next run.

Hypothesis drives Schemathesis synchronously, so it runs in a worker thread and sends real
HTTP requests to the app served by uvicorn on the test's event loop. Every failure is
collected, then reported at once.
"""

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import APIOperation

from shoptide.web.openapi import STANDARD_ERRORS
from tests import factories

PASSWORD = factories.PASSWORD
# Examples per operation, per identity: bounded so each backend's run stays near 2 minutes
# on a 2-core machine.
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}
# Signing out revokes the token the run uses: those operations go last.
LAST = {("DELETE", "/api/v1/auth/token")}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]  # Schemathesis's, less 5xx
# Text the API refuses anywhere (NUL, lone surrogates: tests/test_edge_input.py) is left out
# of generated strings, as Schemathesis documents for such servers; the refusal is tested there.
TEXT = {"allow-x00": False, "codec": "utf-8"}


def _config(document: dict[str, Any]) -> SchemathesisConfig:
    """All checks, as they come, but one: a route that describes its 422 in words of its
    own (not the standard "input is not valid") refuses some input the schema allows, by a
    rule that depends on state no schema can hold (the cart is empty, the invitation has
    expired, the feed page names no such item). There, positive_data_acceptance takes the
    documented 422 as an answer to valid input too. Nowhere else."""
    by_rule = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        and operation.get("responses", {}).get("422", {}).get("description")
        not in (None, STANDARD_ERRORS[422])
    ]
    acceptance = {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}}
    operations = [{"include-name": by_rule, "checks": acceptance}] if by_rule else []
    return SchemathesisConfig.from_dict({"generation": TEXT, "operations": operations})


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """The app on a free local port, served by uvicorn on the test's event loop (where the
    app's database engines live), so Schemathesis talks HTTP to it like any client."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        listener.close()


@dataclass(frozen=True)
class Finding:
    operation: str
    identity: str
    mode: str
    report: str


def _fuzz(
    operation: APIOperation, mode: GenerationMode, base_url: str, headers: dict[str, str]
) -> None:
    """Up to EXAMPLES[mode] generated requests; raises on the first failed check."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the report is the repro
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers)

    run()


def _run_all(
    schema: schemathesis.BaseSchema,
    base_url: str,
    identities: dict[str, dict[str, str]],
) -> list[Finding]:
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper(), op.path) in LAST)
    findings = []
    for operation in operations:
        for identity, headers in identities.items():
            for mode in EXAMPLES:
                try:
                    _fuzz(operation, mode, base_url, headers)
                except Unsatisfiable:
                    pass  # nothing to break: e.g. no parameters to make invalid
                except (Exception, BaseExceptionGroup) as failure:  # each one is a finding
                    findings.append(
                        Finding(operation.label, identity, mode.value, str(failure)[:3000])
                    )
    return findings


async def _token(client: httpx.AsyncClient, email: str, market: str | None) -> dict[str, str]:
    """A bearer token from the API's own token endpoint, as an app would get one."""
    answer = await client.post(
        "/api/v1/auth/token", json={"email": email, "password": PASSWORD, "market": market}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def test_the_api_keeps_its_openapi_promises_under_generated_input(app, client, databases):
    merchant = await factories.merchant(databases, email="fuzz.merchant@example.com")
    shopper = await factories.shopper(databases, email="fuzz.shopper@example.com")
    product = await factories.product(databases, merchant, stock={"US": 1000})
    await factories.buy(client, shopper, product.skus[0])
    identities = {
        "shopper": await _token(client, shopper.email, "US"),
        "merchant": await _token(client, merchant.email, None),
    }
    document = (await client.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document, config=_config(document))
    started = time.monotonic()
    async with serving(app) as base_url:
        findings = await asyncio.to_thread(_run_all, schema, base_url, identities)
    print(f"schemathesis: {time.monotonic() - started:.0f} s")

    assert not findings, "\n\n".join(
        f"### {f.operation} as {f.identity} ({f.mode})\n{f.report}" for f in findings
    )
