"""Customers at scale (1,000,000 at scale 1.0): generation, one-box search at the database and over HTTP, the
owner+grade list and the customer detail, each beside the raw SQL floor.

Targets (reported, never asserted): search p95 ≤ 25 ms on SQLite and ≤ 15 ms on PostgreSQL at the database,
≤ 60 ms over HTTP; list p95 ≤ 80 ms; detail ≤ 12 queries; generating 1,000,000 customers ≤ 10 minutes.
"""

import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from http.cookiejar import CookieJar
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from benchmarks.generate import BENCH_PASSWORD, ensure_bench_stores, generate_customers, verify_sample
from benchmarks.harness import Figure, time_ms
from dealerdesk.accounts.models import User
from dealerdesk.core.pagination import keyset_page
from dealerdesk.customers import selectors
from dealerdesk.customers.models import Customer, FollowUp, OwnedVehicle
from dealerdesk.customers.search import name_tokens, search_customers

ROOT = Path(__file__).resolve().parent.parent.parent
FULL = 1_000_000
SAMPLES = 200
WARMUP = 3
GRADES = ["O", "H", "A", "B", "C", "N"]
SEARCH_TARGET = {"sqlite": 25.0, "postgresql": 15.0}
HTTP_TARGET = 60.0
LIST_TARGET = 80.0
DETAIL_MAX_QUERIES = 12
GENERATE_TARGET_S = 600.0


# ------------------------------------------------------------------------------------------- measuring


def _time_over(fn: Callable[[object], object], values: Sequence) -> tuple[float, float]:
    """p50/p95 of fn over the values, one value per call (the first WARMUP values are not measured)."""
    it = iter(values)
    return time_ms(lambda: fn(next(it)), repeat=len(values) - WARMUP, warmup=WARMUP)


def _capture(fn: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [q["sql"] for q in ctx.captured_queries]


def _run_sql(statements: list[str]) -> None:
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
            if cur.description is not None:
                cur.fetchall()


def _progress(figure: Figure) -> None:
    """One line as soon as a figure is measured, so a later failure loses nothing."""
    floor = f", floor {figure.floor_p50:.2f}/{figure.floor_p95:.2f}" if figure.floor_p50 is not None else ""
    print(f"  {figure.name}: p50 {figure.p50:.2f}, p95 {figure.p95 or float('nan'):.2f} {figure.unit}{floor}")


def _query_count(statements: list[list[str]]) -> str:
    counts = sorted({len(s) for s in statements})
    return f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


def _measured(
    name: str, fn: Callable[[object], object], values: Sequence, *, target: float | None, note: str = ""
) -> tuple[Figure, list[list[str]]]:
    """Capture the SQL of each value first (so both runs find the same warm pages), then time ours and the floor."""
    statements = [_capture(lambda v=v: fn(v)) for v in values]
    p50, p95 = _time_over(fn, values)
    f50, f95 = _time_over(_run_sql, statements)
    parts = [f"{_query_count(statements)} queries"]
    if target is not None:
        parts.append(f"target p95 ≤ {target:g} ms{'' if p95 <= target else ' — MISSED'}")
    if note:
        parts.append(note)
    return Figure(name, "ms", p50, p95, f50, f95, note="; ".join(parts)), statements


# ------------------------------------------------------------------------------------------- query values


def _query_values(store, rng: random.Random) -> dict[str, list[str]]:
    """Search terms of every kind, drawn from the store's generated data, each one different."""
    n = SAMPLES + WARMUP
    bounds = Customer.objects.filter(store=store).order_by("pk").values_list("pk", flat=True)
    lo, hi = bounds.first(), bounds.reverse().first()
    ids = rng.sample(range(lo, hi + 1), min(hi - lo + 1, n * 12))
    people = list(Customer.objects.filter(store=store, pk__in=ids).values_list("name", "mobile"))
    rng.shuffle(people)
    vehicle_ids = list(
        OwnedVehicle.objects.filter(store=store, customer_id__in=ids).exclude(plate="").values_list("plate", "vin")
    )
    rng.shuffle(vehicle_ids)

    def distinct(candidates) -> list[str]:
        out = list(dict.fromkeys(c for c in candidates if c))
        if len(out) < n:
            raise SystemExit(f"benchmark setup broken: only {len(out)} distinct query values, need {n}")
        return out[:n]

    def fragment(name: str) -> str:
        if len(name) <= 2:
            return name
        start = rng.choice([0, len(name) - 2])
        return name[start : start + 2]

    def initials(name: str) -> str:
        options = sorted(t[2:] for t in name_tokens(name) if t.startswith("i:"))
        return rng.choice(options) if options else ""

    def plate_fragment(plate: str) -> str:
        if rng.random() < 0.2:
            return plate[: rng.randrange(4, len(plate) + 1)]  # with the province: 粤B12…
        for _ in range(10):
            start = rng.randrange(1, len(plate) - 3)
            piece = plate[start : rng.randrange(start + 4, len(plate) + 1)]
            if any(c.isdigit() for c in piece):
                return piece
        return plate[-5:]

    return {
        "name": distinct(fragment(name) for name, _ in people),
        "initials": distinct(initials(name) for name, _ in people),
        "mobile": distinct(mobile[-4:] for _, mobile in people),
        "plate": distinct(plate_fragment(plate) for plate, _ in vehicle_ids),
        "vin": distinct(vin[-6:] for _, vin in vehicle_ids),
    }


KINDS = [
    ("name", "name fragment (2 chars)"),
    ("initials", "pinyin initials"),
    ("mobile", "mobile last 4"),
    ("plate", "plate fragment"),
    ("vin", "VIN tail (last 6)"),
]


# ------------------------------------------------------------------------------------------- HTTP


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """The real app under `dealerdesk runserver --noreload --nothreading`, against the bench database.

    Threaded runserver serves each TCP connection in a new thread with its own database connection, closed when
    the thread ends: every request would pay a new PostgreSQL connection (~20 ms), which a production worker
    (gunicorn, CONN_MAX_AGE=60) does not. Single-threaded, the one connection persists like a worker's.
    """

    def __init__(self):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        log_dir = Path(os.environ.get("DEALERDESK_VAR", ROOT / "var" / "bench"))
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"runserver-{connection.vendor}.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        command = Path(sys.executable).with_name("dealerdesk")
        args = [str(command)] if command.exists() else [sys.executable, "-m", "dealerdesk"]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dealerdesk.config.settings.bench"}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [*args, "runserver", f"127.0.0.1:{self.port}", "--noreload", "--nothreading"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"runserver exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.base}/login/", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"runserver did not answer within 90 s; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _login_session(base: str, username: str, password: str) -> None:
    """Log in like a browser (CSRF token from the login page, then POST); fails loudly if the app refuses."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login/", timeout=10) as response:
        page = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not match:
        raise RuntimeError("no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)}
    ).encode()
    with opener.open(urllib.request.Request(f"{base}/login/", data=form), timeout=10) as response:
        landed = urllib.parse.urlsplit(response.url).path
    if landed.startswith("/login"):
        raise RuntimeError("logging in over HTTP failed (still on the login page)")


def _api_token(base: str, username: str, password: str) -> str | None:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["token"]
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


class _ApiClient:
    """Token-authenticated JSON POSTs, a new TCP connection for each (see the note on keep-alive below)."""

    # runserver writes the headers and the body of a response separately; on a kept-alive connection Nagle's
    # algorithm then waits for the client's delayed ACK (~40 ms on Linux), which says nothing about the app.
    # A fresh connection starts in quick-ACK mode, so each request pays only the (sub-millisecond) local connect.

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}

    def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", path, body=json.dumps(payload).encode(), headers=self.headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def _http_figures(manager: User, values: dict[str, list[str]]) -> list[Figure]:
    """POST /api/v1/customers/search/ end to end over HTTP (token auth), floor = the SQL the request runs."""
    try:
        path = reverse("api-customer-search")
    except NoReverseMatch:
        print("  (HTTP search not measured: /api/v1/customers/search/ is not routed yet)")
        return [Figure("search http: endpoint not routed yet", "ms", float("nan"), note="not measured")]

    in_process = Client(HTTP_HOST="127.0.0.1")
    token_response = in_process.post(
        "/api/v1/auth/token/",
        {"username": manager.username, "password": BENCH_PASSWORD},
        content_type="application/json",
    )
    token = token_response.json().get("token") if token_response.status_code == 200 else None
    if token:
        in_process = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    else:
        in_process.force_login(manager)

    def in_process_search(q: str) -> None:
        response = in_process.post(path, {"q": q}, content_type="application/json")
        if response.status_code != 200:
            raise RuntimeError(f"search answered {response.status_code}: {response.content!r}")

    figures = []
    label = "http"
    server: _Server | None = _Server()
    api = None
    try:
        server.__enter__()
        _login_session(server.base, manager.username, BENCH_PASSWORD)
        http_token = _api_token(server.base, manager.username, BENCH_PASSWORD)
        if http_token is None:
            raise RuntimeError("/api/v1/auth/token/ is not there")
        api = _ApiClient(server.port, http_token)
    except (RuntimeError, OSError) as exc:
        print(f"  (HTTP server not usable — {exc}; timing through Django's test Client in-process instead)")
        server.__exit__(None, None, None)
        server = None
        label = "in-process client"

    def over_http(q: str) -> None:
        status, body = api.post(path, {"q": q})
        if status != 200:
            raise RuntimeError(f"search over HTTP answered {status}: {body[:200]!r}")

    try:
        for kind, title in KINDS:
            timed = over_http if api else in_process_search
            # The floor is the SQL this request runs (token lookup, memberships, search), captured in-process.
            statements = [_capture(lambda q=q: in_process_search(q)) for q in values[kind]]
            p50, p95 = _time_over(timed, values[kind])
            f50, f95 = _time_over(_run_sql, statements)
            missed = "" if p95 <= HTTP_TARGET else " — MISSED"
            how = "new TCP connection each, token auth" if api else "in-process client"
            figures.append(
                Figure(
                    f"search {label}: {title}",
                    "ms",
                    p50,
                    p95,
                    f50,
                    f95,
                    note=f"{_query_count(statements)} queries; {how}; target p95 ≤ {HTTP_TARGET:g} ms{missed}",
                )
            )
    finally:
        if server:
            server.__exit__(None, None, None)
    return figures


# ------------------------------------------------------------------------------------------- the scenario


def run(scale: float) -> list[Figure]:
    n = int(FULL * scale)
    vendor = connection.vendor
    stores, owners, managers = ensure_bench_stores()
    store = stores[0]
    manager = managers[store.pk]
    figures: list[Figure] = []

    have = Customer.objects.filter(store__in=stores).count()
    if have >= n:
        print(f"  reusing {have:,} customers already in the bench database")
    else:
        result = generate_customers(n - have, stores, owners)
        verify_sample(result["first_id"], result["last_id"])
        print("  sample check: stored tokens equal tokens_for(); mobiles, plates and VINs valid")
        missed = "" if result["seconds"] <= GENERATE_TARGET_S * scale else " — MISSED"
        figures.append(
            Figure(
                f"customers: generate {n - have:,}",
                "rows/s",
                result["rows_per_s"],
                note=(
                    f"{result['seconds']:.0f} s for {result['customers']:,} customers, {result['vehicles']:,} "
                    f"vehicles, {result['tokens']:,} tokens, {result['follow_ups']:,} follow-ups; "
                    f"target ≤ {GENERATE_TARGET_S * scale:.0f} s{missed}"
                ),
            )
        )
        _progress(figures[-1])

    rng = random.Random(42)
    values = _query_values(store, rng)
    manager = User.objects.get(pk=manager.pk)
    total = Customer.objects.filter(store__in=stores).count()
    in_store = Customer.objects.filter(store=store).count()
    print(f"  {total:,} customers ({in_store:,} in {store.code}); measuring as {manager.username}")

    # ---- search at the database
    for kind, title in KINDS:
        figure, _ = _measured(
            f"search db: {title}",
            lambda q: search_customers(manager, q),
            values[kind],
            target=SEARCH_TARGET[vendor],
            note=f"e.g. {values[kind][WARMUP]!r}",
        )
        _progress(figure)
        figures.append(figure)

    # ---- list: 50 rows of one consultant and one grade, first pages and a few pages deep
    consultant_ids = [u.pk for u in owners[store.pk]]
    list_values = []
    for _ in range(SAMPLES + WARMUP):
        owner_id, grade = rng.choice(consultant_ids), rng.choice(GRADES)
        qs = selectors.customer_visible_to(manager).filter(owner_id=owner_id, intent_grade=grade)
        cursor = None
        for _page in range(rng.choice([0, 0, 1, 2, 4])):
            cursor = keyset_page(qs, cursor=cursor, size=50).next_cursor or cursor
        list_values.append((owner_id, grade, cursor))

    def list_page(value) -> list:
        owner_id, grade, cursor = value
        qs = (
            selectors.customer_visible_to(manager).filter(owner_id=owner_id, intent_grade=grade).select_related("owner")
        )
        return keyset_page(qs, cursor=cursor, size=50).items

    figure, _ = _measured(
        "customer list: owner + grade, 50 rows (keyset)",
        list_page,
        list_values,
        target=LIST_TARGET,
        note="pages 1–5",
    )
    _progress(figure)
    figures.append(figure)

    # ---- detail: customers with vehicles, with follow-ups, and plain ones; a freshly loaded user each time
    with_vehicle = list(
        OwnedVehicle.objects.filter(store=store).order_by("?").values_list("customer_id", flat=True)[:70]
    )
    with_follow_up = list(FollowUp.objects.filter(store=store).order_by("?").values_list("customer_id", flat=True)[:70])
    lo = Customer.objects.filter(store=store).order_by("pk").values_list("pk", flat=True).first()
    hi = Customer.objects.filter(store=store).order_by("-pk").values_list("pk", flat=True).first()
    plain = list(
        Customer.objects.filter(store=store, pk__in=rng.sample(range(lo, hi + 1), min(400, hi - lo + 1))).values_list(
            "pk", flat=True
        )[:70]
    )
    detail_values = list(dict.fromkeys(with_vehicle + with_follow_up + plain))[: SAMPLES + WARMUP]
    rng.shuffle(detail_values)
    # As in a request, the user comes fresh from the database, so their memberships are loaded and counted.
    fresh_users = iter([User.objects.get(pk=manager.pk) for _ in range(2 * len(detail_values))])

    def detail(pk: int) -> dict:
        return selectors.customer_detail(next(fresh_users), pk)

    figure, statements = _measured(
        "customer detail: selectors.customer_detail",
        detail,
        detail_values,
        target=None,
        note=f"{len(detail_values)} customers (with vehicles, follow-ups, plain); fresh user each",
    )
    most = max(len(s) for s in statements)
    figure.note += f"; target ≤ {DETAIL_MAX_QUERIES} queries{'' if most <= DETAIL_MAX_QUERIES else ' — MISSED'}"
    _progress(figure)
    figures.append(figure)

    # ---- end to end over HTTP
    try:
        http_figures = _http_figures(manager, values)
    except Exception as exc:  # the app may be mid-change: keep the figures measured so far
        print(f"  (HTTP search not measured: {type(exc).__name__}: {exc})")
        http_figures = [Figure("search http: not measured", "ms", float("nan"), note=f"{type(exc).__name__}")]
    for figure in http_figures:
        _progress(figure)
    figures.extend(http_figures)
    return figures
