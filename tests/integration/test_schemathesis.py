"""Schemathesis over the whole OpenAPI schema, as an administrator: no 500, responses match the schema."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from tests.integration.conftest import ROOT

from rexian.bootstrap import bootstrap
from rexian.config import Settings
from rexian.domain.vocabulary import Role
from rexian.services.auth import add_user, issue_token
from rexian.web.app import create_app

TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz-api") / "rexian.db"
    shutil.copyfile(sqlite_template, path)
    hl = bootstrap(Settings(database_url=f"sqlite:///{path}"), intelligence=False)
    add_user(hl, "fuzz-admin", Role.ADMIN, ROOT)
    TOKEN["admin"] = issue_token(hl, "fuzz-admin", ROOT)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(hl, public_rate_limit=100_000))
    hl.uow.engine.dispose()


CHECKS = (schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance)


def _fuzz(api_schema, examples: int) -> None:
    failures: dict[str, str] = {}
    tried = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def run(case) -> None:  # noqa: ANN001
            nonlocal tried
            tried += 1
            case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN['admin']}"}, checks=CHECKS)

        try:
            run()
        except Exception as e:  # noqa: BLE001 - collect every operation's failure, then report them all
            failures[operation.label] = "; ".join(str(x).splitlines()[0][:300] for x in getattr(e, "exceptions", [e]))
    print(f"\nschemathesis: {tried} requests over the operations; failures: {len(failures)}")
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


def test_no_operation_answers_500_or_breaks_its_schema(api_schema):
    _fuzz(api_schema, examples=3)


@pytest.mark.slow  # a few minutes: `make test-all`
def test_no_operation_answers_500_or_breaks_its_schema_at_length(api_schema):
    _fuzz(api_schema, examples=50)
