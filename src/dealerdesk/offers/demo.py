"""Demo promotions and offers for `dealerdesk demo_data`: each demo store gets a set of promotions over every type
and stacking rule (plus one group-wide and one expired, to show the reasons), and a few saved offers for demo
customers: drafts, one waiting for approval, one approved and one accepted. Idempotent: a store that already has
promotions (or offers) is left alone."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dealerdesk.accounts.models import Membership, Store
from dealerdesk.catalog.models import Series, Trim
from dealerdesk.customers.models import Customer

from . import selectors, services
from .models import Offer, Promotion

DEMO_STORES = ("sz-futian", "gz-tianhe")


def load(stdout=None) -> int:
    """Create the demo promotions and offers that are missing; returns how many rows were created."""
    created = 0
    stores = list(Store.objects.filter(code__in=DEMO_STORES).select_related("group").order_by("code"))
    if not stores or not Trim.objects.exists():
        if stdout:
            stdout.write("demo promotions and offers: no demo catalogue yet, skipped")
        return 0
    with transaction.atomic():
        for store in stores:
            created += _promotions(store)
        created += _group_promotion(stores[0])
    for store in stores:
        created += _offers(store)
    if stdout:
        stdout.write(
            f"demo promotions and offers: {created} new" if created else "demo promotions and offers: already loaded"
        )
    return created


def _promotions(store: Store) -> int:
    if Promotion.objects.filter(store=store).exists():
        return 0
    today = timezone.localdate()
    month_end = today + datetime.timedelta(days=30)
    sold = list(selectors.trims_for_offer(store))
    if not sold:
        return 0
    first_brand = sold[0].series.brand
    series = Series.objects.filter(brand=first_brand).order_by("code").first()
    common = {
        "group": store.group,
        "store": store,
        "starts_on": today - datetime.timedelta(days=10),
        "ends_on": month_end,
    }
    rows = [
        Promotion(
            **common,
            name="金秋购车节现金优惠",
            kind="cash_discount",
            amount=Decimal("5000.00"),
            brand=first_brand,
            stacking_group="现金",
        ),
        Promotion(
            **common,
            name="限时 2% 折扣",
            kind="percentage_discount",
            percentage=Decimal("2.00"),
            stacking_group="现金",
            description="按车价（标价+颜色+选装）计算，不与现金优惠同享",
        ),
        Promotion(
            **common,
            name="以旧换新置换补贴",
            kind="trade_in_subsidy",
            amount=Decimal("8000.00"),
            requires_trade_in=True,
            stacking_group="置换",
        ),
        Promotion(
            **common,
            name="金融贴息（24 期）",
            kind="finance_subsidy",
            amount=Decimal("6000.00"),
            requires_loan=True,
            stacking_group="金融",
            budget_remaining=Decimal("300000.00"),
        ),
        Promotion(
            **common,
            name="本地车险补贴",
            kind="insurance_subsidy",
            amount=Decimal("2000.00"),
            cities=[store.city],
            stacking_group="保险",
        ),
        Promotion(
            **common,
            name="首购精品礼包",
            kind="gift",
            amount=Decimal("1500.00"),
            gift_description="行车记录仪 + 全车脚垫",
            requires_first_car=True,
            stacking_group="礼包",
            quantity_remaining=50,
        ),
        Promotion(
            **common,
            name="三年六次免费保养",
            kind="free_maintenance",
            amount=Decimal("3600.00"),
            gift_description="3 年 6 次常规保养（机油、机滤、工时）",
            series=series,
            brand=first_brand,
            stacking_group="保养",
        ),
        Promotion(
            **common,
            name="库存车清仓特惠",
            kind="cash_discount",
            amount=Decimal("15000.00"),
            min_stock_age_days=60,
            exclusive=True,
            needs_approval=True,
        ),
        Promotion(
            group=store.group,
            store=store,
            name="五一促销（已结束）",
            kind="cash_discount",
            amount=Decimal("4000.00"),
            starts_on=today - datetime.timedelta(days=40),
            ends_on=today - datetime.timedelta(days=12),
            stacking_group="现金",
        ),
    ]
    Promotion.objects.bulk_create(rows)
    return len(rows)


def _group_promotion(store: Store) -> int:
    if Promotion.objects.filter(group=store.group, store__isnull=True).exists():
        return 0
    today = timezone.localdate()
    Promotion.objects.create(
        group=store.group,
        store=None,
        name="集团周年庆让利",
        kind="cash_discount",
        amount=Decimal("2000.00"),
        starts_on=today - datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=20),
        stacking_group="集团",
    )
    return 1


def _staff(store: Store, role: str):
    membership = (
        Membership.objects.filter(store=store, role=role, is_active=True).select_related("user").order_by("id").first()
    )
    return membership.user if membership else None


def _offers(store: Store) -> int:
    if Offer.objects.filter(store=store).exists():
        return 0
    consultant, manager = _staff(store, "consultant"), _staff(store, "sales_manager")
    trims = selectors.trims_for_offer(store)
    if consultant is None or not trims:
        return 0
    customers = list(
        Customer.objects.filter(store=store, owner=consultant, merged_into__isnull=True, erased_at__isnull=True)
        .exclude(stage="lost")
        .order_by("id")[:5]
    )
    if not customers:
        customers = list(Customer.objects.filter(store=store, merged_into__isnull=True).order_by("id")[:5])
    created = 0
    plans = [
        {"extra_discount": "1000", "services": ({"kind": "insurance", "amount": "5200"},)},
        {"extra_discount": "5000"},  # above the consultant's limit: waits for the manager
        {"extra_discount": "4000", "approve": True},
        {"services": ({"kind": "registration", "amount": "500"},), "accept": True},
        {},
    ]
    for index, (customer, plan) in enumerate(zip(customers, plans, strict=False)):
        trim = trims[(index * 7) % len(trims)]
        choices = selectors.trim_choices(trim.pk)
        colour = next((c for c in choices["colours"] if c.extra_price), None)
        request = services.OfferRequest(
            trim_id=trim.pk,
            colour_id=colour.pk if colour else None,
            option_ids=tuple(o.pk for o in choices["options"][:1]),
            services=plan.get("services", ()),
            extra_discount=plan.get("extra_discount"),
        )
        offer = services.offer_create(actor=consultant, customer=customer, request=request)
        created += 1
        if plan.get("approve") and manager is not None and offer.status == "pending_approval":
            services.offer_approve(actor=manager, offer=offer, note="老客户转介绍，同意")
        if plan.get("accept") and offer.status in ("draft", "approved"):
            services.offer_accept(actor=consultant, offer=offer)
    return created
