"""Demo showroom data for `dealerdesk demo_data`: a month of visits in each demo store (history written in bulk),
today's visits (through the services), needs assessments for demo customers with the advice given, and a few
walkarounds. Deterministic (seeded) and idempotent: a store that has visits is left alone.

Today nobody is left waiting and the rotation's consultants are free, so a walk-in can be assigned at once; one
visitor is with the sales manager, so the board shows someone in the showroom.
"""

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from dealerdesk.accounts.models import Membership, Store, User
from dealerdesk.catalog.models import Trim
from dealerdesk.customers.models import Customer

from . import selectors, services
from .choices import VisitKind, VisitStatus
from .models import Visit

DEMO_STORES = ["sz-futian", "gz-tianhe"]
DAYS = 30
ASSESSMENTS_PER_STORE = 36
SOURCES = ["walk_in"] * 6 + ["referral", "autohome", "dongchedi", "wechat", "oem_lead", "yiche"]
KINDS = [VisitKind.FIRST] * 6 + [VisitKind.RETURN] * 3 + [VisitKind.APPOINTMENT]
MUST_HAVES = ["全景天窗", "HUD", "360 影像", "座椅通风", "L2 智能驾驶辅助", "电动尾门"]
COMPETITORS = ["比亚迪 唐", "理想 L6", "问界 M7", "丰田 汉兰达", "大众 途观L", "特斯拉 Model Y"]


def load(stdout=None) -> int:
    """Create the demo visits and needs assessments of each demo store that has no visits yet."""
    created = 0
    for index, store in enumerate(Store.objects.filter(code__in=DEMO_STORES).order_by("code")):
        if Visit.objects.filter(store=store).exists():
            continue
        created += _load_store(store, seed=index)
    if stdout:
        stdout.write(f"demo showroom: {created} new rows" if created else "demo showroom: already loaded")
    return created


def _staff(store: Store, role: str) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(store=store, role=role, is_active=True)
        .select_related("user")
        .order_by("user__username")
    ]


@transaction.atomic
def _load_store(store: Store, *, seed: int) -> int:
    rng = random.Random(4040 + seed)  # noqa: S311  demo data, not security
    receptionists, consultants, managers = (
        _staff(store, "receptionist"),
        _staff(store, "consultant"),
        _staff(store, "sales_manager"),
    )
    if not (receptionists and consultants and managers):
        return 0
    desk, manager = receptionists[0], managers[0]
    sellers = consultants + managers
    customers = list(
        Customer.objects.filter(store=store, merged_into__isnull=True, owner__isnull=False).order_by("pk")[:120]
    )
    created = _history(store, rng, desk, sellers, customers)
    created += _today(store, rng, desk, manager, customers)
    created += _needs(store, rng, customers)
    return created


def _local(store: Store, day, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=store.tz)


def _history(store: Store, rng: random.Random, desk: User, sellers: list[User], customers: list[Customer]) -> int:
    """A month of finished visits, written in bulk (they are history: no notifications, no rotation changes)."""
    today = selectors.local_day(store)
    rows = []
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        weekend = day.weekday() >= 5
        for _ in range(rng.randint(12, 20) if weekend else rng.randint(5, 11)):
            hour = rng.choices(range(9, 20), weights=[2, 4, 4, 2, 3, 5, 5, 4, 3, 2, 1])[0]
            arrived = _local(store, day, hour, rng.randrange(60))
            served = rng.random() < 0.92
            customer = rng.choice(customers) if customers and rng.random() < 0.7 else None
            consultant = (
                (customer.owner if customer and customer.owner in sellers else rng.choice(sellers)) if served else None
            )
            assigned = arrived + timedelta(minutes=rng.choice([0, 1, 2, 3, 5, 8, 12])) if served else None
            left = (assigned or arrived) + timedelta(minutes=rng.randint(15, 95) if served else rng.randint(2, 10))
            rows.append(
                Visit(
                    store=store,
                    status=VisitStatus.LEFT,
                    arrived_at=arrived,
                    party_size=rng.choices([1, 2, 3, 4], weights=[4, 5, 2, 1])[0],
                    kind=rng.choice(KINDS) if customer else VisitKind.FIRST,
                    source=customer.source if customer else rng.choice(SOURCES),
                    customer=customer,
                    consultant=consultant,
                    assigned_at=assigned,
                    assigned_by=desk if served else None,
                    assign_method="rotation" if served else "",
                    refreshments_offered=served,
                    refreshment=rng.choice(["", "water", "tea", "coffee"]) if served else "",
                    rest_area=served and rng.random() < 0.3,
                    left_at=left,
                    logged_by=desk,
                    created_at=arrived,
                )
            )
    Visit.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _today(store: Store, rng: random.Random, desk: User, manager: User, customers: list[Customer]) -> int:
    """Today's visits through the services: a few finished ones and one visitor with the sales manager."""
    now = timezone.now()
    start = max(now - timedelta(hours=4), selectors.day_bounds(store, selectors.local_day(store, now))[0])
    span = max(int((now - start).total_seconds() // 60) - 10, 6)
    for consultant in _staff(store, "consultant"):  # at work today: reception signs them in for the rotation
        services.presence_set(actor=desk, store=store, consultant=consultant, absent=False)
    created = 0
    for i in range(5):
        arrived = start + timedelta(minutes=rng.randrange(span))
        customer = customers[i * 7 % len(customers)] if customers and i % 2 == 0 else None
        visit = services.visit_arrive(
            actor=desk,
            store=store,
            party_size=rng.choice([1, 2, 2, 3]),
            kind=VisitKind.RETURN if customer else VisitKind.FIRST,
            source=customer.source if customer else rng.choice(SOURCES),
            customer=customer,
            arrived_at=arrived,
        )
        created += 1
        if i == 4:  # the last one stays, with the sales manager (who is not in the consultants' rotation)
            services.visit_assign(actor=desk, visit=visit, consultant=manager, now=max(arrived, now))
            services.visit_set_refreshments(actor=desk, visit=visit, offered=True, refreshment="tea")
            continue
        assigned_at = min(arrived + timedelta(minutes=rng.randint(1, 5)), now)
        visit = services.visit_assign(actor=desk, visit=visit, now=assigned_at)
        left = min(assigned_at + timedelta(minutes=rng.randint(10, 40)), now)
        services.visit_leave(actor=desk, visit=visit, left_at=left)
    return created


def _needs(store: Store, rng: random.Random, customers: list[Customer]) -> int:
    """Needs assessments (through the service, as the owning consultant) for demo customers who visited."""
    visits = {
        v.customer_id: v
        for v in Visit.objects.filter(store=store, customer__isnull=False, consultant__isnull=False).order_by(
            "arrived_at"
        )
    }
    created = 0
    for customer in customers:
        if created >= ASSESSMENTS_PER_STORE:
            break
        visit = visits.get(customer.pk)
        if visit is None or visit.consultant_id != customer.owner_id:
            continue
        low = rng.choice([120000, 150000, 180000, 220000])
        seats = rng.choice([5, 5, 5, 7])
        assessment = services.needs_assessment_create(
            actor=customer.owner,
            customer=customer,
            visit=visit,
            budget_min=low,
            budget_max=low + rng.choice([40000, 60000, 80000]),
            body_type=rng.choice(["suv", "suv", "sedan", "mpv"]) if seats == 5 else rng.choice(["suv", "mpv"]),
            seats=seats,
            energy_types=rng.sample(["bev", "phev", "erev", "hev", "ice"], rng.choice([1, 2])),
            usage=rng.choice(["commute", "family", "family", "business", "long_trips", "leisure"]),
            annual_km=rng.choice([8000, 12000, 15000, 20000, 30000]),
            home_charging=rng.choice([True, True, False, None]),
            timeframe=rng.choice(["week", "month", "month", "quarter", "later"]),
            payment_method=rng.choice(["full", "loan", "loan", "lease", ""]),
            trade_in=rng.random() < 0.3,
            must_have=rng.sample(MUST_HAVES, rng.choice([0, 1, 2])),
            competitors=rng.sample(COMPETITORS, rng.choice([0, 1, 2])),
            decision_maker=rng.choice(["self", "spouse", "family", ""]),
        )
        assessment.created_at = visit.assigned_at or visit.arrived_at
        assessment.save(update_fields=["created_at"])
        created += 1
        if created % 3 == 0:
            created += _advice(store, assessment, rng)
    return created


def _advice(store: Store, assessment, rng: random.Random) -> int:
    """The top trims the engine found, recorded as the advice given (when the store has a catalogue)."""
    needs = services.needs_from({f: getattr(assessment, f) for f in services.NEEDS_FIELDS})
    result = selectors.recommendations_for(assessment.consultant, store, needs, limit=3)
    ids = [r.trim.id for r in result.results[: rng.choice([1, 2])]]
    if not ids:
        return 0
    services.recommendation_record(
        actor=assessment.consultant, assessment=assessment, trim_ids=ids, notes="按预算和座位数推荐，约周末试驾"
    )
    if rng.random() < 0.6:
        services.presentation_record(
            actor=assessment.consultant,
            customer=assessment.customer,
            visit=assessment.visit,
            trim=Trim.objects.get(pk=ids[0]),
            points_covered=rng.sample(["front", "driver_side", "rear", "passenger_side", "interior", "engine_bay"], 4),
            highlights="外观设计、空间表现、智能座舱",
            questions="保养周期和费用？",
            objections=rng.choice(["", "价格偏高", "担心续航"]),
            materials=["brochure", "spec_sheet"],
        )
    return 1
