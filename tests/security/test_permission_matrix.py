"""The permission matrix (issue #11): every route × every role × own store / other store / no login, checked against
the one table of expected answers, `tests/security/permission_table.py`.

What is walked
    The routes come from the URLconf (`get_resolver()`, walked recursively): HTML pages, /api/v1/ and the Django admin.
    The API part is cross-checked against the OpenAPI schema (drf-spectacular): every operation of the schema is an
    /api/v1/ operation of the URLconf, and the reverse, so each has its row. `test_every_route_has_a_row` fails for a
    route or method without a row, for a row without a route (renamed?) and for a path parameter nobody knows how to
    fill (PARAMETERS).

Who asks, about what
    One person per role, holding it in the own store (store A, group X), logged in once (`force_login`), and a client
    without login. Each store holds one object of every kind a path names — customer, follow-up, loss request,
    feedback, visit, needs assessment, presentation, offer, promotion, order, contract, payment, delivery with its
    photo and promised gift, registration, stock vehicle, demo car, test drive, import job, outbox message, gift… —
    built once for the whole test with the apps' factories and helpers; the store's consultant owns its customers. A
    request that names a store's object (in its path, query or body) is made with the own store's object, with the
    other store's (store B of the same group: the group admin reaches it, nobody else does) and, by the group admin,
    with a foreign store's (store C of another group: nobody reaches it); an action naming objects both in its path and
    in its body is also sent with the own store's in the path and the other store's in the body ("mixed": the two must
    not be joined). A request that names none is made once per role. Catalogue objects (brand, series, trim…) belong
    to the brand, not to a store. Two kinds of routes are asked by fewer roles, said in their rows: the OpenAPI
    document (public, ~1 s to build each time) and the Django admin's 250-odd routes, all behind the same
    `AdminSite.admin_view` (staff only, which no role is): its index is asked by every role, each other admin route by
    no login, the receptionist and the group admin.

What is sent — and why nothing changes
    Pages: GET. A page that takes only POST (an action button) is sent a POST, as htmx sends it (`HX-Request`),
    because a GET there answers 405 whoever asks and proves nothing. API: GET for the safe methods (HEAD runs the same
    handler); POST/PUT/PATCH/DELETE with an empty JSON body. DRF authenticates and runs the permission classes and
    `get_object()` (the selector: not visible → 404) before it reads a body, so 401/403/404 is the gate refusing and
    400/409/415/422 a body or a state refused after the gate let the caller in. Most actions, though, validate their
    input before the service re-checks the role (DESIGN §5 rule 3: services re-check permission): with an empty body
    every role would get 400 there and the role gate would stay unseen. For those the row gives the smallest body that
    passes the input validation (a reason, a grade, an id of the same store's order…), so the request reaches the
    role check; the same for page forms that validate first. Ids in a body come from the same store as the case, so
    "other store" also proves that another store's order, customer or store id in a body is refused.

    Every request runs in a savepoint rolled back as soon as the answer is in (`transaction.atomic()` +
    `set_rollback(True)`), after the cache (throttles, lockout) and the messages cookie are cleared: a request that
    gets through changes nothing that a later one sees, whatever the order of the walk. `on_commit` work never runs;
    the only files written are one small CSV (the import upload) under a temporary MEDIA_ROOT.

How an answer is read (the class)
    ok         2xx, or a redirect that is not to a login page
    login      a redirect to a login page (pages, the admin), 401 (API)
    forbidden  403 — and a page's refusal shown as an error message (after a redirect or on the re-rendered page) or
               inside the htmx partial, when it is the message of a `NotPermitted` raised while answering
    notfound   404;  method 405;  error 5xx
    invalid    400, 409, 415, 422, or a page's other error message: the gate let it through, the body/state did not
    The expected classes (OK, PASS, DENY, HIDDEN, LOGIN, METHOD) are defined in `permission_table.py`. DENY and HIDDEN
    accept "the very answer a missing object gets": the request is made again with every id replaced by one that does
    not exist (DESIGN §5 rule 3: not allowed looks like not found — for an id in a body that is a 400 "no such order").

Always checked, whatever the table says
    no answer is 5xx; an object of a store out of the caller's reach (the other store for the six single-store roles,
    the foreign store for everyone) never answers 2xx when it is in the path, and in a query or body answers exactly
    like a missing one; no 2xx answer shows a customer of a store out of the caller's reach (every customer's name
    carries its store's marker; each text answer is searched for the markers the caller must not see — and, as a
    control, the own and the group's markers must show up somewhere).

Failing
    All mismatches are collected and listed together at the end. Cells in `permission_table.KNOWN_DEFECTS` (defects
    found and reported, not fixed here) are printed loudly and do not fail; a known defect that no longer shows fails
    the test, so that the entry is taken out.

Counts (computed at run time, printed with `-s` and recorded as junit properties)
    At the time of writing: 567 routes (183 pages, 133 API, 251 admin) → 587 operations (153 API, all of them in the
    OpenAPI schema), 7 roles + no login, store cases own / other / foreign / mixed (and "none" for the requests that
    name no store object): 5,411 requests plus ~210 missing-object probes. The walk takes about 68 s on SQLite on an
    otherwise idle core (objects built in ~3 s), longer on PostgreSQL or a busy machine.
"""

import datetime
import io
import json
import logging
import re
import sys
import time
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.security.permission_table import (
    ADMIN_ROW,
    DENY,
    GADM,
    HIDDEN,
    KNOWN_DEFECTS,
    LOGIN,
    METHOD,
    OK,
    PASS,
    REFUSED,
    ROLES,
    TABLE,
    Row,
)

# ---------------------------------------------------------------- the routes


@dataclass(frozen=True)
class Route:
    key: str  # the route's name (namespaced), or its pattern when it has none
    pattern: str  # as the URLconf has it, e.g. "customers/<int:pk>/" or "api/v1/^customers/(?P<pk>[^/.]+)/$"
    kind: str  # "page", "api" or "admin"
    params: tuple[str, ...]
    methods: tuple[str, ...]  # API: the methods the view answers; pages and admin: ("GET",)

    @property
    def path(self) -> str:
        """The pattern with each parameter written {name}: "/customers/{pk}/"."""
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", self.pattern)
        text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
        return "/" + text.replace("^", "").replace("$", "").replace("\\", "")

    def url(self, values: dict) -> str:
        path = self.path
        for name in self.params:
            path = path.replace("{" + name + "}", str(values[name]))
        return path


def _api_methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)  # a viewset route: {method: action}
    if actions:
        return tuple(sorted({m.upper() for m in actions} - {"HEAD", "OPTIONS"}))
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:  # a plain function: which methods it takes is not known; GET is asked
        return ("GET",)
    return tuple(
        sorted(m.upper() for m in cls.http_method_names if m not in ("head", "options", "trace") and hasattr(cls, m))
    )


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else p.namespace or namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
            continue
        assert isinstance(p, URLPattern)
        pattern = prefix + str(p.pattern)
        kind = "admin" if pattern.startswith("admin/") else "api" if pattern.startswith("api/v1/") else "page"
        name = p.name and (f"{namespace}:{p.name}" if namespace else p.name)
        params = tuple(re.findall(r"\(\?P<(\w+)>", pattern) + re.findall(r"(?<!\?P)<(?:\w+:)?(\w+)>", pattern))
        methods = _api_methods(p.callback) if kind == "api" else ("GET",)
        yield Route(key=name or pattern, pattern=pattern, kind=kind, params=params, methods=methods)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def operations(routes: list[Route]) -> list[tuple[Route, str, Row]]:
    """(route, method, row) for every operation the matrix checks, in URLconf order."""
    ops = []
    for route in routes:
        if route.kind == "admin":
            ops.append((route, "GET", TABLE.get((route.key, "GET"), ADMIN_ROW)))
            continue
        methods = route.methods if route.kind == "api" else [m for m in ("GET", "POST") if (route.key, m) in TABLE]
        ops.extend((route, method, TABLE[(route.key, method)]) for method in methods if (route.key, method) in TABLE)
    return ops


# ---------------------------------------------------------------- what fills a path, query or body

# (path prefix, parameter) → the kind of object it names; the longest matching prefix wins. "=value" is a literal.
PARAMETERS: dict[tuple[str, str], str] = {
    ("/manager/loss-requests/", "pk"): "loss_request",
    ("/manager/feedback/", "pk"): "feedback",
    ("/customers/", "pk"): "customer",
    ("/customers/", "fid"): "follow_up",
    ("/customers/", "field"): "=mobile",
    ("/imports/", "pk"): "import_job",
    ("/showroom/visits/", "pk"): "visit",
    ("/showroom/needs/", "pk"): "needs",
    ("/showroom/presentations/", "pk"): "presentation",
    ("/offers/promotions/", "pk"): "promotion",
    ("/offers/", "pk"): "offer",
    ("/offers/settings/", "store_code"): "store_code",
    ("/catalog/trims/", "pk"): "trim",
    ("/catalog/stock/", "pk"): "stock",
    ("/catalog/stock/{pk}/demo/", "pk"): "demo_car",
    ("/catalog/brands/", "pk"): "brand",
    ("/catalog/series/", "pk"): "series",
    ("/catalog/colours/", "pk"): "colour",
    ("/catalog/options/", "pk"): "option",
    ("/test-drives/fleet/", "pk"): "demo_car",
    ("/test-drives/settings/", "store_code"): "store_code",
    ("/test-drives/book/", "store_code"): "store_code",
    ("/test-drives/feedback/", "token"): "feedback_token",
    ("/test-drives/calendar/", "token"): "calendar_token",
    ("/test-drives/", "pk"): "test_drive",
    ("/test-drives/{pk}/licence/", "pk"): "prepared_drive",
    ("/test-drives/{pk}/agreement.pdf", "pk"): "prepared_drive",
    ("/test-drives/", "step"): "=confirm",
    ("/sales/contracts/", "pk"): "contract",
    ("/sales/contracts/{pk}/contract.pdf", "pk"): "signed_contract",
    ("/sales/", "pk"): "order",
    ("/deliveries/settings/", "store_code"): "store_code",
    ("/deliveries/", "pk"): "delivery",
    ("/deliveries/{pk}/confirmation.pdf", "pk"): "handed_over",
    ("/deliveries/", "photo_id"): "photo",
    ("/deliveries/", "promised_id"): "promised_gift",
    ("/registrations/settings/", "store_code"): "store_code",
    ("/care/calls/", "pk"): "follow_up",
    ("/care/scripts/", "store_code"): "store_code",
    ("/care/scripts/", "call_type"): "=delivery_d3",
    ("/registrations/", "pk"): "registration",
    ("/outbox/", "pk"): "notification",
    ("/admin/", "object_id"): "=1",
    ("/admin/", "content_type_id"): "=1",
    ("/admin/", "id"): "=1",
    ("/admin/", "app_label"): "=accounts",
    ("/admin/", "url"): "=nowhere/",
    ("/api/v1/stores/", "pk"): "store",
    ("/api/v1/customers/", "pk"): "customer",
    ("/api/v1/follow-ups/", "pk"): "follow_up",
    ("/api/v1/catalog/brands/", "pk"): "brand",
    ("/api/v1/catalog/series/", "pk"): "series",
    ("/api/v1/catalog/trims/", "pk"): "trim",
    ("/api/v1/stock/", "pk"): "stock",
    ("/api/v1/imports/", "pk"): "import_job",
    ("/api/v1/promotions/", "pk"): "promotion",
    ("/api/v1/offers/", "pk"): "offer",
    ("/api/v1/visits/", "pk"): "visit",
    ("/api/v1/needs-assessments/", "pk"): "needs",
    ("/api/v1/test-drives/", "pk"): "test_drive",
    ("/api/v1/test-drives/{pk}/licence/reveal/", "pk"): "prepared_drive",
    ("/api/v1/test-drives/{pk}/agreement.pdf", "pk"): "prepared_drive",
    ("/api/v1/test-drives/{pk}/accept-agreement/", "pk"): "prepared_drive",
    ("/api/v1/test-drives/{pk}/start/", "pk"): "prepared_drive",
    ("/api/v1/demo-cars/", "pk"): "demo_car",
    ("/api/v1/orders/", "pk"): "order",
    ("/api/v1/contracts/", "pk"): "contract",
    ("/api/v1/contracts/{pk}/contract.pdf", "pk"): "signed_contract",
    ("/api/v1/contracts/{pk}/amend/", "pk"): "signed_contract",
    ("/api/v1/payments/", "pk"): "payment",
    ("/api/v1/deliveries/", "pk"): "delivery",
    ("/api/v1/deliveries/{pk}/confirmation.pdf", "pk"): "handed_over",
    ("/api/v1/deliveries/", "photo_id"): "photo",
    ("/api/v1/deliveries/", "promised_id"): "promised_gift",
    ("/api/v1/gifts/", "pk"): "gift",
    ("/api/v1/registrations/", "pk"): "registration",
}
# the catalogue belongs to the brand, not to a store (a store's trims are the brand's, priced by the store)
SHARED_KINDS = {"trim", "brand", "series", "colour", "option", "sale_trim", "sale_trim2"}
BEARER_KINDS = {"feedback_token", "calendar_token"}  # signed links: the link is the permission
MISSING_ID = 987654321


def _local(days: int, hour: int) -> str:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone()).isoformat()


# "@name" values of a body or query that are not objects
GENERATED = {
    "today": lambda: timezone.localdate().isoformat(),
    "yesterday": lambda: (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
    "in30d": lambda: (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    "in900d": lambda: (timezone.localdate() + datetime.timedelta(days=900)).isoformat(),
    "slot": lambda: _local(6, 14),
    "csv": lambda: SimpleUploadedFile("customers.csv", "姓名,手机\n测试,13800138111\n".encode(), "text/csv"),
}


def parameter_kinds(route: Route) -> dict[str, str]:
    """{parameter: object kind or "=literal"} of the route's path parameters that PARAMETERS knows."""
    kinds = {}
    for name in route.params:
        matches = [(p, k) for (p, param), k in PARAMETERS.items() if param == name and route.path.startswith(p)]
        if matches:
            kinds[name] = max(matches, key=lambda m: len(m[0]))[1]
    return kinds


def _refs(value) -> set[str]:
    if isinstance(value, str):
        return {value[1:]} if value.startswith("@") and value[1:] not in GENERATED else set()
    if isinstance(value, dict):
        return set().union(set(), *(_refs(v) for v in value.values()))
    if isinstance(value, list | tuple):
        return set().union(set(), *(_refs(v) for v in value))
    return set()


def _resolve(value, objects: dict):
    if isinstance(value, str) and value.startswith("@"):
        name = value[1:]
        if name in GENERATED:
            return GENERATED[name]()
        obj = objects[name]
        return obj if isinstance(obj, str) else obj.pk
    if isinstance(value, dict):
        return {k: _resolve(v, objects) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(v, objects) for v in value]
    return value


def scoped_kinds(route: Route, row: Row) -> tuple[set[str], set[str]]:
    """(kinds in the path, kinds in the query or body) that belong to one store."""
    in_path = {k for k in parameter_kinds(route).values() if not k.startswith("=")}
    in_data = _refs(row.body or {}) | _refs(row.query or {})
    return in_path - SHARED_KINDS - BEARER_KINDS, in_data - SHARED_KINDS - BEARER_KINDS


def store_cases(route: Route, row: Row) -> tuple[str, ...]:
    """own, other, foreign — and mixed (the own store's object in the path, the other store's in the body) when both
    name one; none when the request names no store's object."""
    in_path, in_data = scoped_kinds(route, row)
    if in_path and in_data:
        return ("own", "other", "foreign", "mixed")
    return ("own", "other", "foreign") if in_path or in_data else ("none",)


def request_for(route: Route, row: Row, objects: dict, data_objects: dict | None = None) -> tuple[str, dict]:
    """The URL and the body; `data_objects` (default: `objects`) fill the query and the body."""
    data_objects = objects if data_objects is None else data_objects
    values = {}
    for name, kind in parameter_kinds(route).items():
        if kind.startswith("="):
            values[name] = kind[1:]
        else:
            obj = objects[kind]
            values[name] = obj if isinstance(obj, str) else obj.pk
    url = route.url(values)
    if row.query:
        url += "?" + urlencode(_resolve(row.query, data_objects), doseq=True)
    return url, _resolve(row.body or {}, data_objects)


class _Missing:
    pk = MISSING_ID


def missing_objects(objects: dict) -> dict:
    """The same kinds, each an object that does not exist (a store code nobody has)."""
    return {
        kind: obj
        if kind in SHARED_KINDS or kind in BEARER_KINDS
        else "no-such-store"
        if isinstance(obj, str)
        else _Missing
        for kind, obj in objects.items()
    }


# ---------------------------------------------------------------- the objects

MARKERS = {"own": "本店客户", "other": "兄弟店客户", "foreign": "别家客户"}


def _image() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _promised_gift(delivery):
    from dealerdesk.deliveries.models import PromisedGift

    return PromisedGift.objects.filter(delivery=delivery).first() or PromisedGift.objects.create(
        delivery=delivery, position=0, item="全车脚垫", source="合同赠品"
    )


def build_store(store, people: dict, marker: str) -> dict:
    """One object of every kind a path names, in `store`; customers owned by the store's consultant, named `marker`."""
    from dealerdesk.core.services import notification_queue
    from dealerdesk.customers import services as customer_services
    from dealerdesk.deliveries import services as delivery_services
    from dealerdesk.imports import services as import_services
    from dealerdesk.offers import services as offer_services
    from dealerdesk.registrations import services as registration_services
    from dealerdesk.sales import services as sales_services
    from dealerdesk.showroom import services as showroom_services
    from dealerdesk.testdrives import services as testdrive_services
    from tests.catalog.factories import StockVehicleFactory
    from tests.customers.factories import CustomerFactory
    from tests.deliveries.factories import GiftItemFactory, explained, prepared, ready_order
    from tests.offers.helpers import promotion
    from tests.sales.helpers import make_order, signed_contract, submitted_contract
    from tests.showroom.factories import NeedsAssessmentFactory, VisitFactory
    from tests.testdrives.factories import DemoCarFactory, TestDriveFactory
    from tests.testdrives.helpers import accept_agreement, at
    from tests.testdrives.helpers import prepare as prepare_drive

    consultant, manager, clerk = people["consultant"], people["sales_manager"], people["admin_clerk"]
    count = iter(range(1, 100))

    def person(**fields):
        return CustomerFactory(store=store, owner=consultant, name=f"{marker}{next(count)}", **fields)

    now = timezone.now()
    customer = person(stage="prospect")
    losing = person(stage="prospect")
    order = make_order(store, consultant, customer=person())
    offer = offer_services.offer_create(
        actor=consultant, customer=customer, request=offer_services.OfferRequest(trim_id=order.trim_id)
    )
    delivery = prepared(store, consultant, clerk, customer=person(stage="ordered"))
    photos, _refused = delivery_services.photos_upload(
        actor=consultant, delivery=delivery, files=[SimpleUploadedFile("car.jpg", _image(), "image/jpeg")]
    )
    handed_over = explained(store, consultant, clerk, bay="2号交车区", customer=person(stage="ordered"))
    handed_over = delivery_services.delivery_confirm(
        actor=consultant, delivery=handed_over, customer_name=handed_over.customer.name
    )
    # one consultant, so no two bookings overlap (PostgreSQL's exclusion constraint would refuse them)
    test_drive = TestDriveFactory(customer=customer, consultant=consultant, start_at=at(store, 1, 10))
    prepared_drive = prepare_drive(
        consultant, TestDriveFactory(customer=customer, consultant=consultant, start_at=at(store, 2, 10))
    )
    accept_agreement(consultant, prepared_drive)
    expected = person()
    TestDriveFactory(customer=expected, consultant=consultant, start_at=now)  # due today: the desk checks them in
    signed = signed_contract(make_order(store, consultant, customer=person()), consultant, manager)
    return {
        "store": store,
        "store_code": store.code,
        "consultant": consultant,
        "admin_clerk": clerk,
        "customer": customer,
        "customer2": losing,
        "expected_customer": expected,
        "follow_up": customer_services.followup_schedule(
            actor=consultant, customer=customer, due_at=now + datetime.timedelta(days=1)
        ),
        "loss_request": customer_services.customer_request_lost(actor=consultant, customer=losing, reason="price"),
        "feedback": customer_services.feedback_add(actor=consultant, customer=customer, kind="suggestion", body="好"),
        "visit": VisitFactory(store=store),
        "needs": NeedsAssessmentFactory(customer=customer),
        "presentation": showroom_services.presentation_record(
            actor=consultant, customer=customer, trim=order.trim, points_covered=["front"]
        ),
        "offer": offer,
        "accepted_offer": order.offer,
        "promotion": promotion(store),
        "sale_trim": order.trim,
        "sale_trim2": signed.order.trim,
        "order": order,
        "contract": submitted_contract(order, consultant),
        "payment": sales_services.payment_record(
            actor=clerk, order=order, kind="deposit", method="cash", receipt_number=f"R-{store.code}", amount="100"
        ),
        "signed_contract": signed,
        "signed_order": ready_order(store, consultant, customer=person(stage="ordered")),
        "delivery": delivery,
        "photo": photos[0],
        "promised_gift": _promised_gift(delivery),
        "handed_over": handed_over,
        "registration": registration_services.registration_open(
            actor=clerk, order=ready_order(store, consultant, customer=person(stage="ordered"))
        ),
        "stock": StockVehicleFactory(store=store),
        "demo_car": DemoCarFactory(store),
        "test_drive": test_drive,
        "prepared_drive": prepared_drive,
        "feedback_token": testdrive_services.feedback_token(test_drive),
        "calendar_token": testdrive_services.calendar_token(test_drive),
        "import_job": import_services.import_upload(
            actor=manager,
            store=store,
            kind="customers",
            upload=SimpleUploadedFile("customers.csv", "姓名,手机\n张三,13800138000\n".encode()),
        ),
        "notification": notification_queue(
            channel="sms", subject="提醒", body="提醒", recipient="13800138000", store=store
        ),
        "gift": GiftItemFactory(store=store),
    }


# ---------------------------------------------------------------- answers


def classify(response, route: Route, method: str, refusals: list[str]) -> str:
    code = response.status_code
    if code == 401:
        return "login"
    if code >= 500:
        return "error"
    if code in (301, 302, 303, 307, 308):
        klass = "login" if response.headers.get("Location", "").split("?")[0].endswith("/login/") else "ok"
    elif 200 <= code < 300:
        klass = "ok"
    elif code in (400, 409, 415, 422):
        klass = "invalid"
    else:
        return {403: "forbidden", 404: "notfound", 405: "method"}.get(code, f"other{code}")
    if route.kind == "page" and klass in ("ok", "invalid"):
        # a page shows a refusal as a message (after a redirect, or on the page it renders again) or in the partial
        storage = getattr(getattr(response, "wsgi_request", None), "_messages", None)
        shown = getattr(storage, "_loaded_messages", []) + getattr(storage, "_queued_messages", [])
        errors = {str(m.message) for m in shown if m.level_tag == "error"}
        if errors & set(refusals):
            return "forbidden"
        if method != "GET" and refusals:
            text = _text(response)
            if any(escape(message) in text for message in refusals):
                return "forbidden"
        if errors:
            return "invalid"
    return klass


def send(client: Client, route: Route, method: str, url: str, body: dict):
    if method == "GET":
        return client.get(url)
    if route.kind != "api":
        return client.post(url, body, HTTP_HX_REQUEST="true")
    if any(isinstance(v, SimpleUploadedFile) for v in body.values()):
        return client.post(url, body)  # multipart
    return client.generic(method, url, data=json.dumps(body), content_type="application/json")


def _text(response) -> str:
    kind = response.headers.get("Content-Type", "")
    if getattr(response, "streaming", False) or not ("text/" in kind or "json" in kind):
        return ""
    return response.content.decode("utf-8", "replace")


def matches(expected: str, klass: str, status: int, probe, in_path: bool) -> bool:
    """Whether an answer is the expected class; `probe()` gives the status a missing object gets. An object named
    only in the query or body may be ignored (a form that prefills what the caller may see): HIDDEN then accepts the
    answer a missing object gets, 2xx included."""
    if expected == OK:
        return klass == "ok"
    if expected == PASS:
        return klass in ("ok", "invalid")
    if expected == LOGIN:
        return klass == "login"
    if expected == METHOD:
        return klass == "method"
    if expected == REFUSED:
        return klass in ("forbidden", "notfound", "invalid")
    if expected == DENY:
        return klass in ("forbidden", "notfound") or (klass == "invalid" and status == probe())
    if expected == HIDDEN:
        if klass == "ok" and in_path:
            return False
        return klass == "notfound" or (klass in ("forbidden", "invalid", "ok") and status == probe())
    raise ValueError(expected)


# ---------------------------------------------------------------- the tests


def test_every_route_has_a_row():
    """Every route and method of the URLconf has its row; every row its route; every path parameter its object."""
    routes = all_routes()
    problems = []
    keys = [r.key for r in routes if r.kind != "admin"]
    problems.extend(
        f"two routes are named {key!r}: a row would stand for both" for key in {k for k in keys if keys.count(k) > 1}
    )
    seen = set()
    for route in routes:
        unknown = [p for p in route.params if p not in parameter_kinds(route)]
        if unknown:
            problems.append(f"{route.path}: no object for the parameter(s) {unknown} (add them to PARAMETERS)")
        if route.kind == "admin":
            seen.add((route.key, "GET"))
            continue
        if route.kind == "api":
            for method in route.methods:
                seen.add((route.key, method))
                if (route.key, method) not in TABLE:
                    problems.append(f"{method} {route.path} ({route.key}): no row in permission_table.TABLE")
        else:
            rows = [m for m in ("GET", "POST") if (route.key, m) in TABLE]
            seen.update((route.key, m) for m in rows)
            if not rows:
                problems.append(f"GET {route.path} ({route.key}): no row in permission_table.TABLE")
    for key in TABLE.keys() - seen:
        problems.append(f"{key}: a row without a route (renamed or removed?)")
    for route, method, row in operations(routes):
        for kind in set().union(*scoped_kinds(route, row)):
            if kind not in PARAMETERS.values() and kind not in _OBJECT_KINDS:
                problems.append(f"{method} {route.path}: the body or query names an unknown object @{kind}")
    assert not problems, "\n".join(problems)


# every kind `build_store` makes (kept in step with it; checked by the matrix test)
_OBJECT_KINDS = {
    "store",
    "store_code",
    "consultant",
    "admin_clerk",
    "customer",
    "customer2",
    "expected_customer",
    "follow_up",
    "loss_request",
    "feedback",
    "visit",
    "needs",
    "presentation",
    "offer",
    "accepted_offer",
    "promotion",
    "sale_trim",
    "sale_trim2",
    "order",
    "contract",
    "payment",
    "signed_contract",
    "signed_order",
    "delivery",
    "photo",
    "promised_gift",
    "handed_over",
    "registration",
    "stock",
    "demo_car",
    "test_drive",
    "prepared_drive",
    "feedback_token",
    "calendar_token",
    "import_job",
    "notification",
    "gift",
}


def _canonical(method: str, path: str) -> tuple[str, str]:
    return method.upper(), re.sub(r"\{[^}]+\}", "{}", path)


def test_the_api_routes_and_the_openapi_schema_agree():
    """Every operation of the OpenAPI schema is an /api/v1/ operation of the URLconf (so it has a row), and back."""
    import warnings

    from drf_spectacular.generators import SchemaGenerator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = SchemaGenerator().get_schema(request=None, public=True)
    in_schema = {
        _canonical(method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    urlconf = {}
    for route in all_routes():
        if route.kind == "api":
            for method in route.methods:
                urlconf[_canonical(method, route.path)] = (route.key, method)
    missing = sorted(in_schema - urlconf.keys())
    undocumented = sorted(urlconf.keys() - in_schema)
    assert not missing, f"operations of the schema that the URLconf walk did not find: {missing}"
    assert not undocumented, f"API operations missing from the OpenAPI schema: {undocumented}"
    assert all(urlconf[op] in TABLE for op in in_schema)


@pytest.fixture
def _walk_settings(settings, tmp_path, caplog):
    settings.MEDIA_ROOT = tmp_path / "media"
    # the session's last-activity stamp is rolled back with every request: the walk must not outlast the idle timeout
    settings.DEALERDESK_IDLE_TIMEOUT_SECONDS = 24 * 3600
    caplog.set_level(logging.ERROR, logger="django.request")  # thousands of expected 4xx; the 5xx stay visible


@pytest.mark.django_db
def test_the_permission_matrix(_walk_settings, group, monkeypatch, record_property):
    from dealerdesk.core.errors import NotPermitted
    from tests.catalog.factories import BrandFactory, ColourFactory, OptionFactory, TrimFactory
    from tests.factories import DealerGroupFactory, StoreFactory, staff

    started = time.monotonic()
    cpu_started = time.process_time()
    stores = {
        "own": StoreFactory(group=group, code="own-store", name="本店"),
        "other": StoreFactory(group=group, code="sister-store", name="兄弟店"),
        "foreign": StoreFactory(group=DealerGroupFactory(code="rival", name="别家集团"), code="rival-store"),
    }
    people = {case: {role: staff(role, store) for role in ROLES} for case, store in stores.items()}
    objects = {case: build_store(stores[case], people[case], MARKERS[case]) for case in stores}
    assert set(objects["own"]) == _OBJECT_KINDS
    trim = TrimFactory()
    shared = {
        "trim": trim,
        "series": trim.series,
        "brand": BrandFactory(),
        "colour": ColourFactory(trim=trim),
        "option": OptionFactory(trim=trim),
    }
    for case in objects:
        objects[case].update(shared)
    objects["none"] = objects["own"]
    missing = missing_objects(objects["own"])
    # (path objects, query/body objects) of each case, and of its "missing object" probe
    shapes = {case: (objects[case], objects[case]) for case in ("own", "other", "foreign", "none")}
    shapes["mixed"] = (objects["own"], objects["other"])
    probe_shapes = dict.fromkeys(shapes, (missing, missing))
    probe_shapes["mixed"] = (objects["own"], missing)
    built = time.monotonic()

    clients = {"anon": Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")}
    for role in ROLES:
        clients[role] = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
        clients[role].force_login(people["own"][role])

    # what was raised while answering: a NotPermitted's message, an unhandled exception
    refusals: list[str] = []
    crashes: list[str] = []
    original_init = NotPermitted.__init__

    def recording_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        refusals.append(str(self.message))

    def on_crash(sender, **kwargs):
        crashes.append(repr(sys.exc_info()[1]))

    monkeypatch.setattr(NotPermitted, "__init__", recording_init)
    got_request_exception.connect(on_crash)

    def ask(who: str, route: Route, method: str, url: str, body: dict):
        cache.clear()
        clients[who].cookies.pop("messages", None)
        refusals.clear()
        crashes.clear()
        with transaction.atomic():
            response = send(clients[who], route, method, url, body)
            transaction.set_rollback(True)
        return response, classify(response, route, method, refusals)

    # markers of the customers each caller must never see
    unseen = {who: [MARKERS["other"], MARKERS["foreign"]] for who in ("anon", *ROLES)}
    unseen[GADM] = [MARKERS["foreign"]]

    mismatches: list[tuple[tuple, str]] = []
    routes = all_routes()
    ops = operations(routes)
    requests = 0
    probed: list[str] = []
    cases_seen: set[str] = set()
    markers_seen: dict[str, set[str]] = {who: set() for who in ("anon", *ROLES)}
    try:
        for route, method, row in ops:
            in_path, _in_data = scoped_kinds(route, row)
            probes: dict[tuple[str, str], int] = {}
            for case in store_cases(route, row):
                cases_seen.add(case)
                url, body = request_for(route, row, *shapes[case])
                askers = ("anon", *ROLES) if case in ("own", "none") else (GADM,) if case == "foreign" else ROLES
                if row.askers is not None:
                    askers = [who for who in askers if who in ("anon", *row.askers)]
                for who in askers:
                    response, klass = ask(who, route, method, url, body)
                    requests += 1
                    status = response.status_code
                    crash = crashes[0] if crashes else ""

                    def probe(who=who, case=case):
                        shape = "mixed" if case == "mixed" else "missing"
                        if (who, shape) not in probes:
                            probe_url, probe_body = request_for(route, row, *probe_shapes[case])
                            probes[who, shape] = ask(who, route, method, probe_url, probe_body)[0].status_code
                            probed.append(who)
                        return probes[who, shape]

                    expected = row.expect(who, case)
                    where = (route.key, method, who, case)
                    said = f"{method} {url} as {who} ({case} store): {status} {klass}"
                    if klass == "error":
                        mismatches.append((where, f"{said} — a 5xx: {crash}"))
                        continue
                    if not matches(expected, klass, status, probe, bool(in_path) and case != "mixed"):
                        mismatches.append((where, f"{said}, expected {expected}"))
                        continue
                    outside = case == "foreign" or (case == "other" and who != GADM)
                    if outside and not row.public and klass == "ok" and (in_path or probe() != status):
                        mismatches.append((where, f"{said}: another store's object answered 2xx"))
                        continue
                    if klass == "ok" and not row.public:
                        text = _text(response)
                        markers_seen[who].update(m for m in MARKERS.values() if m in text)
                        leaked = [m for m in unseen[who] if m in text]
                        if leaked:
                            mismatches.append((where, f"{said}: shows a customer of a store out of reach {leaked}"))
    finally:
        got_request_exception.disconnect(on_crash)
    walked = time.monotonic()

    api_ops = sum(1 for route, _m, _r in ops if route.kind == "api")
    counts = {
        "routes": len(routes),
        "page_routes": sum(1 for r in routes if r.kind == "page"),
        "api_routes": sum(1 for r in routes if r.kind == "api"),
        "admin_routes": sum(1 for r in routes if r.kind == "admin"),
        "operations": len(ops),
        "api_operations": api_ops,
        "roles": len(ROLES),
        "store_cases": len(cases_seen),
        "requests": requests,
        "missing_object_probes": len(probed),
        "setup_seconds": round(built - started, 1),
        "walk_seconds": round(walked - built, 1),
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
    }
    for name, value in counts.items():
        record_property(name, value)
    print(
        f"\npermission matrix: {counts['routes']} routes ({counts['page_routes']} pages, {counts['api_routes']} API, "
        f"{counts['admin_routes']} admin), {counts['operations']} operations ({api_ops} API), {len(ROLES)} roles + "
        f"no login, store cases {sorted(cases_seen)}, {requests} requests (+{len(probed)} missing-object probes); "
        f"objects built in "
        f"{counts['setup_seconds']} s, walked in {counts['walk_seconds']} s ({counts['cpu_seconds']} s CPU)"
    )

    found = {where for where, _text_ in mismatches}
    known = [text for where, text in mismatches if where in KNOWN_DEFECTS]
    new = [text for where, text in mismatches if where not in KNOWN_DEFECTS]
    fixed = sorted(KNOWN_DEFECTS - found)
    if known:
        print(f"\n!!! {len(known)} KNOWN DEFECTS still present (permission_table.KNOWN_DEFECTS):")
        print("\n".join(f"!!!   {text}" for text in known))
    report = []
    # the markers do show where they may, so the search for the others' markers looks at the right text
    if MARKERS["own"] not in markers_seen["consultant"] or MARKERS["other"] not in markers_seen[GADM]:
        report.append("the customer markers never showed where they should: the leak check looks at the wrong text")
    if new:
        report.append(f"{len(new)} answers differ from permission_table.TABLE:\n" + "\n".join(new))
    if fixed:
        report.append("fixed, remove them from KNOWN_DEFECTS:\n" + "\n".join(map(str, fixed)))
    if report:
        pytest.fail("\n\n".join(report), pytrace=False)
