"""Schemathesis over the whole API (issue #11): every operation of the OpenAPI schema is sent generated requests,
valid and invalid, in process, as a store user holding a role that may use it, on a store that holds one object of
every kind a path names. Each answer must not be a 5xx, must have a status code the schema lists for the operation,
and must match the schema's description of that answer (body and content type).

Bounded and repeatable: a fixed seed, derandomised generation, no example database, a fixed number of examples per
operation (`MAX_EXAMPLES` of fuzzing, plus the coverage phase's boundary values). The objects are built once for the
module, in a transaction rolled back at its end; each operation is one test (in pytest-django's savepoint), and each
request runs in a savepoint rolled back as soon as its answer is in, with the cache (throttles, lockout) cleared
before it: no write leaks into the next request, test or module. The schema is loaded at import (schemathesis' lazy
`from_fixture` loader does not work with pytest 9.2). Counts are printed with `-s` and kept as junit properties; about
6,400 requests over 154 operations, 2-3 minutes per database on a 2-core machine (docs/decisions/0019).
"""

import json
import logging
import re
import time
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.permission_table import GADM, ROLES, TABLE
from tests.security.test_permission_matrix import (
    MARKERS,
    all_routes,
    build_store,
    parameter_kinds,
)

SEED = 20261111
MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Who asks, among the roles the permission table lets through: the first of these that may (the roles that see the
# whole store first, so a request reaches the store's objects); an operation nobody may use is asked by the manager.
PREFERRED = ("sales_manager", "store_admin", "admin_clerk", "consultant", "care_specialist", "receptionist", GADM)


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                # the boundaries of what the schema allows, systematically (the fuzzing also sends what it refuses)
                "coverage": {
                    "enabled": True,
                    "generation": {"mode": "positive"},
                    "unexpected-methods": [],
                    "generate-duplicate-query-parameters": False,
                },
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    )


_SCHEMA: dict = {}


def openapi_document() -> dict:
    """The schema as a client gets it from /api/schema/ (JSON), built once per run."""
    if not _SCHEMA:
        from drf_spectacular.generators import SchemaGenerator
        from drf_spectacular.renderers import OpenApiJsonRenderer

        generated = SchemaGenerator().get_schema(request=None, public=True)
        _SCHEMA.update(json.loads(OpenApiJsonRenderer().render(generated)))
    return _SCHEMA


@dataclass
class World:
    """The store, its people (one token each) and its objects; which role asks and which ids fill each path."""

    tokens: dict[str, str]
    objects: dict
    routes: dict = field(default_factory=dict)  # (METHOD, path with {}) → (route, row)
    asked: dict = field(default_factory=dict)  # operation label → requests sent
    statuses: dict = field(default_factory=dict)  # status → count
    seconds: dict = field(default_factory=dict)  # operation label → seconds spent answering
    phases: dict = field(default_factory=dict)  # schemathesis phase → requests

    def plan(self, method: str, path: str) -> tuple[str, dict]:
        """(role, {path parameter: id}) for an operation of the schema."""
        found = self.routes.get((method.upper(), re.sub(r"\{[^}]+\}", "{}", path)))
        if found is None:
            return "sales_manager", {}
        route, row = found
        role = next((r for r in PREFERRED if r in row.allow), "sales_manager")
        kinds = parameter_kinds(route)
        values = {}
        for name, param in zip(re.findall(r"\{(\w+)\}", path), route.params, strict=True):
            kind = kinds.get(param)
            if kind is None or kind.startswith("="):
                continue
            obj = self.objects[kind]
            values[name] = obj if isinstance(obj, str) else obj.pk
        return role, values


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory, record_testsuite_property):
    """Built once for the module, inside a transaction rolled back at its end; each test runs in a savepoint of it
    (pytest-django's `db`), and each request in a savepoint of that."""
    from django.test import override_settings

    from tests.catalog.factories import BrandFactory, ColourFactory, OptionFactory, TrimFactory
    from tests.factories import DealerGroupFactory, StoreFactory, staff

    quiet = logging.getLogger("django.request")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # thousands of expected 4xx; a 5xx fails the check
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        transaction.atomic(),
    ):
        store = StoreFactory(group=DealerGroupFactory(code="fuzz", name="测试集团"), code="fuzz-store", name="本店")
        people = {role: staff(role, store) for role in ROLES}
        objects = build_store(store, people, MARKERS["own"])
        trim = TrimFactory()
        objects.update(
            trim=trim,
            series=trim.series,
            brand=BrandFactory(),
            colour=ColourFactory(trim=trim),
            option=OptionFactory(trim=trim),
        )
        tokens = {role: Token.objects.create(user=person).key for role, person in people.items()}
        world = World(tokens=tokens, objects=objects)
        for route in all_routes():
            if route.kind != "api":
                continue
            for method in route.methods:
                row = TABLE.get((route.key, method))
                if row is not None:
                    world.routes[(method, re.sub(r"\{[^}]+\}", "{}", route.path))] = (route, row)
        started = time.monotonic()
        yield world
        transaction.set_rollback(True)
    quiet.setLevel(level)
    counts = {
        "schemathesis_operations": len(world.asked),
        "schemathesis_requests": sum(world.asked.values()),
        "schemathesis_seconds": round(time.monotonic() - started, 1),
    }
    for name, value in counts.items():
        record_testsuite_property(name, value)
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(world.statuses.items()))
    phases = ", ".join(f"{phase} {n}" for phase, n in sorted(world.phases.items()))
    print(
        f"\nschemathesis: {counts['schemathesis_operations']} operations, {counts['schemathesis_requests']} requests "
        f"({phases}) in {counts['schemathesis_seconds']} s; answers {statuses}"
    )
    slowest = sorted(world.seconds.items(), key=lambda item: -item[1])[:10]
    print("slowest: " + ", ".join(f"{label} {seconds:.1f} s ({world.asked[label]})" for label, seconds in slowest))


@pytest.fixture
def in_process():
    """The WSGI handler closes "old" connections at each request's start and end, as a server must; in a test that
    would close the test's own connection in the middle of its transaction (Django's test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


_APP: list = []


def wsgi_app() -> WSGIHandler:
    if not _APP:
        _APP.append(WSGIHandler())
    return _APP[0]


schema = schemathesis.openapi.from_dict(openapi_document(), config=_config())


@schema.parametrize()
def test_every_operation_answers_as_its_schema_says(case, world, db, in_process):
    operation = case.operation
    role, ids = world.plan(operation.method, operation.path)
    for name, value in ids.items():
        generated = (case.path_parameters or {}).get(name)
        # a generated id (valid input: 7 or "7") is replaced by the store's object; an invalid one ("abc") is kept
        if (isinstance(generated, int) and not isinstance(generated, bool)) or (
            isinstance(generated, str) and re.fullmatch(r"-?[0-9]+", generated)
        ):
            case.path_parameters[name] = value
    cache.clear()
    started = time.monotonic()
    with transaction.atomic():
        response = case.call(
            app=wsgi_app(), headers={"Authorization": f"Token {world.tokens[role]}", "Accept-Language": "en"}
        )
        transaction.set_rollback(True)
    world.asked[operation.label] = world.asked.get(operation.label, 0) + 1
    world.seconds[operation.label] = world.seconds.get(operation.label, 0) + time.monotonic() - started
    world.statuses[response.status_code] = world.statuses.get(response.status_code, 0) + 1
    phase = case.meta.phase.name.value if case.meta else "other"
    world.phases[phase] = world.phases.get(phase, 0) + 1
    case.validate_response(response, checks=CHECKS)
