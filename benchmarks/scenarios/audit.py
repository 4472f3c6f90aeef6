"""The audit trail: writing entries through the service, and paging the store's trail (keyset)."""

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from benchmarks.harness import Figure, analyze, rate, time_ms
from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.core.audit import audit_record
from dealerdesk.core.models import AuditEntry
from dealerdesk.core.pagination import keyset_page


def _setup() -> tuple[Store, User]:
    group, _ = DealerGroup.objects.get_or_create(code="bench", defaults={"name": "基准集团"})
    store, _ = Store.objects.get_or_create(
        code="bench-1", defaults={"group": group, "name": "基准门店", "city": "深圳"}
    )
    user = User.objects.filter(username="bench-manager").first()
    if user is None:
        user = User.objects.create_user("bench-manager", password="Bench#2026", full_name="基准经理")
        Membership.objects.create(user=user, store=store, role="store_admin")
    return store, user


def run(scale: float) -> list[Figure]:
    store, user = _setup()
    n = max(int(200_000 * scale), 1_000)
    batch = 1_000

    def write_through_service() -> int:
        for start in range(0, n, batch):
            with transaction.atomic():
                for i in range(start, min(start + batch, n)):
                    audit_record(actor=user, action="bench.written", target=store, diff={"i": [None, i]})
        return n

    ours = rate(write_through_service)

    table = AuditEntry._meta.db_table
    now_sql = "CURRENT_TIMESTAMP"

    def write_raw() -> int:
        rows = [
            (
                store.pk,
                user.pk,
                "bench.raw",
                "accounts.store",
                str(store.pk),
                "",
                '{"i": [null, 1]}',
                "",
                None,
            )
        ] * batch
        sql = (
            f"INSERT INTO {table} (created_at, store_id, actor_id, action, target_type, target_id, target_repr, diff, "
            f"request_id, ip) VALUES ({now_sql}, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        written = 0
        while written < n:
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(sql, rows)
            written += batch
        return written

    floor = rate(write_raw)
    figures = [
        Figure(
            "audit: write through audit_record",
            "rows/s",
            ours,
            floor_p50=floor,
            note=f"{n:,} rows, 1,000/txn",
        )
    ]

    analyze()
    # Page deep into the trail: the cursor of the 50th page, then time fetching one page from there.
    qs = AuditEntry.objects.filter(store=store)
    cursor = None
    for _ in range(50):
        cursor = keyset_page(qs, cursor=cursor, size=50).next_cursor
    p50, p95 = time_ms(lambda: keyset_page(qs, cursor=cursor, size=50).items, repeat=200)
    last_id = keyset_page(qs, cursor=cursor, size=50).items[0].pk + 1

    def raw_page():
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT * FROM {table} WHERE store_id = %s AND id < %s ORDER BY id DESC LIMIT 51",
                [store.pk, last_id],
            )
            return cur.fetchall()

    f50, f95 = time_ms(raw_page, repeat=200)
    figures.append(
        Figure(
            "audit: keyset page 51 of the store trail (50 rows)",
            "ms",
            p50,
            p95,
            f50,
            f95,
            note=f"{2 * n:,} entries in the store",
        )
    )

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = reverse("audit_list")
    for check in (client.get(url), client.get(reverse("home"))):
        if check.status_code != 200:
            raise SystemExit(f"benchmark setup broken: {check.status_code} from {check.request['PATH_INFO']}")
    p50, p95 = time_ms(lambda: client.get(url, {"store": store.code}), repeat=100)
    figures.append(Figure("audit: /audit/ page end to end (Django client)", "ms", p50, p95, f50, f95))
    p50, p95 = time_ms(lambda: client.get(reverse("home")), repeat=100)
    figures.append(Figure("home page end to end (Django client)", "ms", p50, p95))
    return figures
