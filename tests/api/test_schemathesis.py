"""Schemathesis against /api/v1/openapi.json: every operation, with valid and invalid requests, a token with every
scope, through the whole Django stack (WSGI: the middleware, the URLconf, the database) — no answer is a 5xx.
This is the CI run of schemathesis (issue 13): it runs in both passes of .ci/run, on PostgreSQL and on SQLite."""

import contextlib

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from tests.api.conftest import work_order

pytestmark = pytest.mark.django_db

EXAMPLES = 50


@contextlib.contextmanager
def keep_connection():
    """As Django's test client does, detach the handler's connection closing (close_old_connections on request
    start and end) while a request runs through the WSGI app: it would end the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def schema(db):
    with keep_connection():
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def test_the_schema_is_served_and_names_both_operations(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == {"/api/v1/cases", "/api/v1/cases/{number}"}
    assert {"201", "200", "422", "401", "403", "429"} <= set(paths["/api/v1/cases"]["post"]["responses"])


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_no_server_error(schema, mode, system_x, make_token, api_client, make_case, secretary_a):
    from tests.conftest import VILLAGE_A

    token = make_token(system_x, rate_per_minute=30000)[1]
    known = make_case(secretary_a, VILLAGE_A).number
    assert api_client(token).post("/api/v1/cases", work_order("WO-KNOWN")).status_code == 201
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 2
    statuses = set()
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            if case.path_parameters and mode == GenerationMode.POSITIVE and len(statuses) % 3 == 0:
                case.path_parameters = {"number": known}
            with keep_connection():
                response = case.call(headers=headers)
            statuses.add(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        run()
    assert not any(code >= 500 for code in statuses)
    assert statuses & {200, 201, 422, 404}  # the calls reached the operations, not just the authentication
