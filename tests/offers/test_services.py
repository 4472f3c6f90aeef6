"""Offers and promotions through the services: pricing, authority and approval, versions, caps, bad input."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from dealerdesk.accounts.models import Membership
from dealerdesk.core.errors import NotPermitted, TransitionRefused
from dealerdesk.core.models import AuditEntry, Notification
from dealerdesk.customers.merge import customer_merge
from dealerdesk.customers.models import PurchaseNeed
from dealerdesk.offers import selectors, services
from dealerdesk.offers.models import Offer, OfferLine, OfferPolicy, OfferVersion, Promotion
from dealerdesk.offers.services import OfferRequest
from tests.catalog.factories import (
    BrandFactory,
    ColourFactory,
    MarkedPriceFactory,
    OptionFactory,
    SeriesFactory,
    StockVehicleFactory,
    TrimFactory,
)
from tests.clock import pinned_at, shanghai
from tests.customers.factories import CustomerFactory
from tests.offers.helpers import D, catalogue, promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def cat(store_a):
    return catalogue(store_a)


@pytest.fixture
def customer(store_a, consultant):
    return CustomerFactory(store=store_a, owner=consultant, name="陈小明", city="深圳")


def counts() -> tuple[int, int, int]:
    return Offer.objects.count(), OfferVersion.objects.count(), OfferLine.objects.count()


def make(actor, customer, cat, **fields) -> Offer:
    return services.offer_create(actor=actor, customer=customer, request=OfferRequest(trim_id=cat.trim.pk, **fields))


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


# ---------------------------------------------------------------- pricing


def test_an_offer_snapshots_the_marked_price_and_lists_every_line(consultant, customer, cat, store_a):
    # given a cash discount and a percentage discount of different groups
    cash = promotion(store_a, name="国庆现金优惠", amount=D("5000.00"), stacking_group="cash")
    pct = promotion(
        store_a, name="限时折扣", kind="percentage_discount", amount=None, percentage=D("2.00"), stacking_group="pct"
    )
    # when the consultant makes an offer with colour, option and a service
    offer = make(
        consultant,
        customer,
        cat,
        colour_id=cat.colour.pk,
        option_ids=(cat.option.pk,),
        services=({"kind": "insurance", "amount": "4800"},),
    )
    # then every line is there, exact, and the total adds up
    version = offer.current
    lines = list(version.lines.order_by("position"))
    assert [line.kind for line in lines] == [
        "marked_price",
        "colour",
        "option",
        "discount",
        "discount",
        "service",
        "total",
    ]
    assert version.marked_price_id == cat.price.pk and version.marked_price_amount == D("200000.00")
    assert version.vehicle_price == D("211000.00")
    assert [line.amount for line in lines if line.kind == "discount"] == [D("-5000.00"), D("-4220.00")]
    assert {line.promotion_id for line in lines if line.kind == "discount"} == {cash.pk, pct.pk}
    assert version.total == D("211000.00") - D("9220.00") + D("4800.00")
    assert sum(line.amount for line in lines[:-1]) == lines[-1].amount == version.total
    assert offer.status == "draft"
    assert AuditEntry.objects.filter(action="offer.created", target_id=str(offer.pk)).exists()


@pytest.mark.usefixtures("shanghai_clock")
def test_the_newest_marked_price_in_force_is_used_not_a_future_one(consultant, customer, cat, store_a):
    now = timezone.now()
    MarkedPriceFactory(store=store_a, trim=cat.trim, price=D("195000.00"), valid_from=now - datetime.timedelta(hours=1))
    MarkedPriceFactory(store=store_a, trim=cat.trim, price=D("150000.00"), valid_from=now + datetime.timedelta(days=1))
    offer = make(consultant, customer, cat, promotion_ids=())
    assert offer.current.marked_price_amount == D("195000.00")
    assert offer.current.total == D("195000.00")


def test_an_offer_without_any_service_is_complete(consultant, customer, cat):
    offer = make(consultant, customer, cat)
    assert offer.current.services_total == D("0.00")
    assert not offer.current.lines.filter(kind="service").exists()
    assert offer.status == "draft"


def test_customer_situation_comes_from_the_record_and_decides_eligibility(consultant, customer, cat, store_a):
    # given a trade-in subsidy and a customer whose current needs say trade-in + loan
    subsidy = promotion(store_a, name="置换补贴", kind="trade_in_subsidy", requires_trade_in=True, stacking_group="t")
    PurchaseNeed.objects.create(store=store_a, customer=customer, trade_in=True, payment_method="loan")
    # when an offer is made without saying anything about the situation
    offer = make(consultant, customer, cat)
    # then the record's trade-in counts and the subsidy applies
    assert offer.current.trade_in and offer.current.loan and offer.current.first_car
    assert offer.current.lines.filter(promotion=subsidy).exists()
    # and saying "no trade-in" explicitly leaves it out, with the reason kept
    offer = make(consultant, customer, cat, trade_in=False)
    assert not offer.current.lines.filter(promotion=subsidy).exists()
    row = next(r for r in offer.current.eligibility if r["id"] == subsidy.pk)
    assert row["eligible"] is False and row["reasons"][0]["code"] == "needs_trade_in"


def test_stock_age_uses_the_longest_standing_vehicle_or_the_chosen_one(consultant, customer, cat, store_a):
    old = StockVehicleFactory(
        store=store_a, trim=cat.trim, arrived_on=timezone.localdate() - datetime.timedelta(days=120)
    )
    young = StockVehicleFactory(
        store=store_a, trim=cat.trim, arrived_on=timezone.localdate() - datetime.timedelta(days=5)
    )
    clearance = promotion(
        store_a, name="库存车特惠", amount=D("8000.00"), min_stock_age_days=90, stacking_group="stock"
    )
    offer = make(consultant, customer, cat)
    assert offer.current.lines.filter(promotion=clearance).exists()
    assert offer.current.stock_vehicle_id == old.pk
    offer = make(consultant, customer, cat, stock_vehicle_id=young.pk)
    assert not offer.current.lines.filter(promotion=clearance).exists()


def test_group_wide_promotions_apply_in_every_store_of_the_group(consultant, customer, cat, store_a):
    p = promotion(store_a, store=None, name="集团让利", stacking_group="group")
    offer = make(consultant, customer, cat)
    assert offer.current.lines.filter(promotion=p).exists()


def test_the_engine_loader_runs_in_at_most_four_queries(store_a, cat):
    for i in range(20):
        promotion(store_a, name=f"P{i}", stacking_group=f"g{i % 4}")
    with CaptureQueriesContext(connection) as ctx:
        inputs = selectors.offer_inputs_load(
            store_a, trim_id=cat.trim.pk, colour_id=cat.colour.pk, option_ids=[cat.option.pk]
        )
    assert len(ctx.captured_queries) <= 4
    assert len(inputs.promotions) == 20 and inputs.colour.id == cat.colour.pk and inputs.options[0].id == cat.option.pk


def test_a_changed_promotion_is_seen_by_the_next_offer(consultant, customer, cat, store_a, make_staff):
    # given an offer computed once (the store's promotions are now cached)
    p = promotion(store_a, amount=D("5000.00"))
    assert make(consultant, customer, cat).current.discount_total == D("5000.00")
    # when an administrator changes the amount, adds one and switches one off
    admin = make_staff("store_admin", store_a)
    services.promotion_update(actor=admin, promotion=p, amount="7000")
    # then the next offer uses the new amount
    assert make(consultant, customer, cat).current.discount_total == D("7000.00")
    extra = promotion(store_a, name="新活动", amount=D("1000.00"), stacking_group="new")
    assert make(consultant, customer, cat).current.discount_total == D("8000.00")
    services.promotion_update(actor=admin, promotion=extra, is_active=False)
    assert make(consultant, customer, cat).current.discount_total == D("7000.00")


def test_best_discount_for_a_neutral_customer_vehicle_only(store_a, cat):
    promotion(store_a, name="现金", amount=D("6000.00"), stacking_group="cash")
    promotion(store_a, name="置换", amount=D("9000.00"), stacking_group="trade", requires_trade_in=True)
    promotion(store_a, name="礼包", kind="gift", amount=D("3000.00"), gift_description="脚垫", stacking_group="gift")
    promotion(store_a, name="折扣", kind="percentage_discount", amount=None, percentage=D("1"), stacking_group="pct")
    other = TrimFactory()
    assert selectors.best_discount_for(store_a, cat.trim, timezone.now()) == D("8000.00")  # 6,000 + 1% of 200,000
    assert selectors.best_discount_for(store_a, other, timezone.now()) == D("0.00")  # no marked price in force
    assert selectors.best_discounts_for(store_a, [cat.trim.pk, other.pk]) == {
        cat.trim.pk: D("8000.00"),
        other.pk: D("0.00"),
    }
    from dealerdesk.offers.engine import best_discount_for

    assert best_discount_for(store_a, cat.trim, timezone.now()) == D("8000.00")


# ---------------------------------------------------------------- authority and approval


def test_extra_discount_within_authority_stays_a_draft(consultant, customer, cat):
    offer = make(consultant, customer, cat, extra_discount="3000")
    assert offer.status == "draft"
    assert offer.current.lines.get(kind="extra_discount").amount == D("-3000.00")


def test_above_authority_waits_for_a_manager_who_is_notified_then_the_consultant_hears_back(
    consultant, manager, customer, cat
):
    # when the consultant gives more than the default ¥3,000
    offer = make(consultant, customer, cat, extra_discount="3000.01")
    # then the offer waits and the manager has an in-app notification
    assert offer.status == "pending_approval"
    asked = Notification.objects.get(recipient_user=manager, kind="offer.approval_requested")
    assert asked.channel == "in_app" and offer.number in asked.subject
    assert not Notification.objects.filter(recipient_user=consultant).exists()
    # when the manager approves
    offer = services.offer_approve(actor=manager, offer=offer, note="老客户")
    # then the consultant is told
    assert offer.status == "approved"
    told = Notification.objects.get(recipient_user=consultant, kind="offer.approved")
    assert told.channel == "in_app" and offer.number in told.subject
    version = OfferVersion.objects.get(pk=offer.current_id)
    assert version.decision == "approved" and version.decided_by == manager


def test_a_refusal_needs_a_reason_and_notifies_the_consultant(consultant, manager, customer, cat):
    offer = make(consultant, customer, cat, extra_discount="5000")
    with pytest.raises(ValidationError) as exc:
        services.offer_refuse(actor=manager, offer=offer, note=" ")
    assert "note" in errors_of(exc)
    assert Offer.objects.get(pk=offer.pk).status == "pending_approval"
    offer = services.offer_refuse(actor=manager, offer=offer, note="折扣过高")
    assert offer.status == "refused"
    told = Notification.objects.get(recipient_user=consultant, kind="offer.refused")
    assert "折扣过高" in told.body


def test_a_promotion_marked_for_approval_makes_the_offer_pending(consultant, manager, customer, cat, store_a):
    promotion(store_a, name="特批优惠", needs_approval=True)
    offer = make(consultant, customer, cat)
    assert offer.status == "pending_approval"
    assert "特批优惠" in offer.current.approval_reasons[0]


def test_the_limit_is_per_store_and_store_admins_change_it(consultant, customer, cat, store_a, make_staff):
    admin = make_staff("store_admin", store_a)
    with pytest.raises(NotPermitted):
        services.offer_policy_update(actor=consultant, store=store_a, discount_limit="99999", validity_days=7)
    with pytest.raises(ValidationError) as exc:
        services.offer_policy_update(actor=admin, store=store_a, discount_limit="-1", validity_days=0)
    assert set(errors_of(exc)) == {"discount_limit", "validity_days"}
    services.offer_policy_update(actor=admin, store=store_a, discount_limit="8000", validity_days=3)
    assert OfferPolicy.objects.get(store=store_a).discount_limit == D("8000.00")
    offer = make(consultant, customer, cat, extra_discount="8000")
    assert offer.status == "draft"
    assert offer.valid_until == timezone.localdate() + datetime.timedelta(days=3)


def test_a_managers_own_offer_needs_no_approval(manager, customer, cat):
    offer = make(manager, customer, cat, extra_discount="20000")
    assert offer.status == "draft"
    assert offer.current.approval_reasons == []


def test_approval_path_misuse_is_refused(consultant, manager, customer, cat, store_a, store_b, make_staff):
    offer = make(consultant, customer, cat, extra_discount="5000")
    # a consultant cannot approve (not even their own)
    with pytest.raises(NotPermitted):
        services.offer_approve(actor=consultant, offer=offer)
    # a manager of another store cannot either
    with pytest.raises(NotPermitted):
        services.offer_approve(actor=make_staff("sales_manager", store_b), offer=offer)
    # the customer cannot accept before a manager approved
    with pytest.raises(TransitionRefused) as exc:
        services.offer_accept(actor=consultant, offer=offer)
    assert exc.value.code == "offer_needs_approval"
    assert Offer.objects.get(pk=offer.pk).status == "pending_approval"


def test_nobody_decides_on_a_version_they_wrote(consultant, manager, customer, cat, store_a):
    # given a pending version written by a consultant who is later made sales manager
    offer = make(consultant, customer, cat, extra_discount="5000")
    Membership.objects.create(user=consultant, store=store_a, role="sales_manager")
    promoted = type(consultant).objects.get(pk=consultant.pk)
    # when they try to approve it themselves, then it is refused
    with pytest.raises(NotPermitted) as exc:
        services.offer_approve(actor=promoted, offer=offer)
    assert exc.value.code == "own_offer"
    assert Offer.objects.get(pk=offer.pk).status == "pending_approval"
    # and another manager may
    assert services.offer_approve(actor=manager, offer=offer).status == "approved"


def test_a_managers_revision_needs_no_approval(consultant, manager, customer, cat):
    offer = make(consultant, customer, cat, extra_discount="5000")
    services.offer_revise(actor=manager, offer=offer, request=OfferRequest(trim_id=cat.trim.pk, extra_discount="4000"))
    offer.refresh_from_db()
    assert offer.status == "draft"
    services.offer_revise(
        actor=consultant, offer=offer, request=OfferRequest(trim_id=cat.trim.pk, extra_discount="4500")
    )
    offer.refresh_from_db()
    assert offer.status == "pending_approval"


def test_refused_moves_of_the_workflow(consultant, manager, customer, cat):
    draft = make(consultant, customer, cat)
    with pytest.raises(TransitionRefused):
        services.offer_approve(actor=manager, offer=draft)
    with pytest.raises(TransitionRefused):
        services.offer_refuse(actor=manager, offer=draft, note="x")
    services.offer_accept(actor=consultant, offer=draft)
    with pytest.raises(TransitionRefused):
        services.offer_accept(actor=consultant, offer=draft)
    with pytest.raises(TransitionRefused):
        services.offer_revise(actor=consultant, offer=draft, request=OfferRequest(trim_id=cat.trim.pk))
    refused = make(consultant, customer, cat, extra_discount="5000")
    services.offer_refuse(actor=manager, offer=refused, note="不行")
    with pytest.raises(TransitionRefused):
        services.offer_approve(actor=manager, offer=refused)
    with pytest.raises(TransitionRefused):
        services.offer_accept(actor=consultant, offer=refused)
    # a refused offer can be revised into one within authority
    services.offer_revise(
        actor=consultant, offer=refused, request=OfferRequest(trim_id=cat.trim.pk, extra_discount="1000")
    )
    refused.refresh_from_db()
    assert refused.status == "draft"
    with translation.override("en"):
        try:
            services.offer_approve(actor=manager, offer=refused)
        except TransitionRefused as exc:
            assert "cannot become" in str(exc.message)


# ---------------------------------------------------------------- versions


def test_an_edit_makes_a_new_version_and_keeps_the_old_one(consultant, customer, cat):
    offer = make(consultant, customer, cat, extra_discount="1000")
    first = offer.current
    first_lines = list(first.lines.values_list("kind", "amount"))
    services.offer_revise(
        actor=consultant,
        offer=offer,
        request=OfferRequest(trim_id=cat.trim.pk, colour_id=cat.colour.pk, extra_discount="2000"),
    )
    offer.refresh_from_db()
    assert offer.current.number == 2 and offer.current_id != first.pk
    assert list(OfferVersion.objects.get(pk=first.pk).lines.values_list("kind", "amount")) == first_lines
    assert offer.current.extra_discount == D("2000.00")
    assert offer.versions.count() == 2
    assert AuditEntry.objects.filter(action="offer.revised", target_id=str(offer.pk)).exists()


# ---------------------------------------------------------------- caps, acceptance and expiry


def test_acceptance_uses_up_budget_and_quantity_and_a_capped_out_promotion_is_refused(
    consultant, store_a, cat, make_staff
):
    capped = promotion(store_a, amount=D("5000.00"), budget_remaining=D("9000.00"), quantity_remaining=2)
    first = make(consultant, CustomerFactory(store=store_a, owner=consultant), cat)
    second = make(consultant, CustomerFactory(store=store_a, owner=consultant), cat)
    services.offer_accept(actor=consultant, offer=first)
    capped.refresh_from_db()
    assert capped.budget_remaining == D("4000.00") and capped.quantity_remaining == 1
    # the second offer promised ¥5,000 but only ¥4,000 is left
    with pytest.raises(Exception) as exc:
        services.offer_accept(actor=consultant, offer=second)
    assert getattr(exc.value, "code", "") == "promotion_capped"
    assert Offer.objects.get(pk=second.pk).status == "draft"
    capped.refresh_from_db()
    assert capped.budget_remaining == D("4000.00")
    # and a new offer no longer gets it, with the reason
    third = make(consultant, CustomerFactory(store=store_a, owner=consultant), cat)
    row = next(r for r in third.current.eligibility if r["id"] == capped.pk)
    assert row["reasons"][0]["code"] == "budget_short"


@pytest.mark.usefixtures("shanghai_clock")
def test_offers_expire_after_their_validity(consultant, customer, cat):
    offer = make(consultant, customer, cat)
    later = timezone.now() + datetime.timedelta(days=30)
    assert services.offers_expire_due(now=later) == 1
    offer.refresh_from_db()
    assert offer.status == "expired"
    assert services.offers_expire_due(now=later) == 0
    with pytest.raises(TransitionRefused):
        services.offer_accept(actor=consultant, offer=offer)


@pytest.mark.usefixtures("shanghai_clock")
def test_an_offer_is_valid_no_longer_than_its_promotions(consultant, customer, cat, store_a):
    promotion(store_a, ends_on=timezone.localdate() + datetime.timedelta(days=2))
    offer = make(consultant, customer, cat)
    assert offer.valid_until == timezone.localdate() + datetime.timedelta(days=2)


@pinned_at(shanghai(2027, 1, 1, 0, 5), "new-year-00:05")
def test_just_after_midnight_the_store_day_decides_which_promotions_run(
    shanghai_clock, consultant, customer, cat, store_a
):
    # given, at 00:05 on 1 January (still 31 December in UTC), a promotion starting today and one that ended yesterday
    today = shanghai_clock.today
    starting = promotion(store_a, name="元旦特惠", starts_on=today, stacking_group="new")
    ended = promotion(
        store_a,
        name="年末特惠",
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today - datetime.timedelta(days=1),
        stacking_group="old",
    )
    # when the consultant makes an offer with the best combination
    offer = make(consultant, customer, cat)
    # then today's promotion is in it and yesterday's is not; forced in, yesterday's is refused as expired
    assert {line.promotion_id for line in offer.current.lines.all() if line.promotion_id} == {starting.pk}
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        make(consultant, customer, cat, promotion_ids=(ended.pk,))
    assert f"expired on {ended.ends_on.isoformat()}" in errors_of(exc)["promotions"][0]


@pinned_at(shanghai(2026, 11, 30, 23, 59), "month-end-23:59")
def test_an_offer_expires_when_the_store_day_after_its_last_day_begins(
    shanghai_clock, consultant, customer, cat, store_a
):
    # given an offer made at 23:59 on 30 November, valid until today (its promotion ends today)
    promotion(store_a, ends_on=shanghai_clock.today)
    offer = make(consultant, customer, cat)
    assert offer.valid_until == shanghai_clock.today
    # then it is still open in the last minute of its day
    assert services.offers_expire_due() == 0
    # and expires at 00:05 on 1 December, although UTC is still on 30 November
    shanghai_clock.traveller.move_to(shanghai_clock.at(0, 5, days=1))
    assert services.offers_expire_due() == 1
    offer.refresh_from_db()
    assert offer.status == "expired"


def test_offers_follow_the_customer_through_a_merge(consultant, manager, customer, cat, store_a):
    duplicate = CustomerFactory(store=store_a, owner=consultant, name="陈小明")
    offer = make(consultant, duplicate, cat)
    customer_merge(actor=manager, survivor=customer, merged=duplicate)
    assert Offer.objects.get(pk=offer.pk).customer_id == customer.pk


# ---------------------------------------------------------------- bad input: refused, nothing written


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"extra_discount": "-100"}, "extra_discount", "cannot be negative"),
        ({"extra_discount": "12.345"}, "extra_discount", "2 decimal places"),
        ({"extra_discount": "abc"}, "extra_discount", "Enter an amount"),
        ({"extra_discount": "300000"}, "extra_discount", "at most"),
        ({"services": ({"kind": "insurance", "amount": "-1"},)}, "services", "cannot be negative"),
        ({"services": ({"kind": "car_wash", "amount": "1"},)}, "services", "not an optional service"),
        ({"option_ids": (999999,)}, "options", "no option"),
    ],
)
def test_bad_amounts_and_choices_are_refused_with_a_specific_message(
    consultant, customer, cat, fields, field, fragment
):
    before = counts()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        make(consultant, customer, cat, **fields)
    assert fragment in " ".join(errors_of(exc)[field])
    assert counts() == before


@pytest.mark.usefixtures("shanghai_clock")
def test_an_expired_promotion_forced_into_an_offer_is_refused(consultant, customer, cat, store_a):
    old = promotion(
        store_a,
        name="五一促销",
        starts_on=timezone.localdate() - datetime.timedelta(days=20),
        ends_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    before = counts()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        make(consultant, customer, cat, promotion_ids=(old.pk,))
    message = errors_of(exc)["promotions"][0]
    assert "五一促销" in message and f"expired on {old.ends_on.isoformat()}" in message
    assert counts() == before


def test_a_long_expired_promotion_forced_in_still_gets_its_reason(consultant, customer, cat, store_a):
    ancient = promotion(
        store_a, starts_on=datetime.date(2020, 1, 1), ends_on=datetime.date(2020, 1, 31), is_active=False
    )
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        make(consultant, customer, cat, promotion_ids=(ancient.pk,))
    assert "expired on 2020-01-31" in errors_of(exc)["promotions"][0]


def test_out_of_scope_promotions_forced_into_an_offer_are_refused(consultant, customer, cat, store_a, store_b):
    other_series = promotion(store_a, name="别的车系", series=SeriesFactory(), stacking_group="s")
    other_store = promotion(store_b, name="外店活动", stacking_group="o")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        make(consultant, customer, cat, promotion_ids=(other_series.pk, other_store.pk))
    messages = errors_of(exc)["promotions"]
    assert "not for this series" in messages[0]
    assert "not offered by this store" in messages[1]
    assert not Offer.objects.exists()


def test_an_illegal_combination_forced_in_is_refused(consultant, customer, cat, store_a):
    a = promotion(store_a, name="A", stacking_group="cash")
    b = promotion(store_a, name="B", stacking_group="cash")
    solo = promotion(store_a, name="独享", exclusive=True)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        make(consultant, customer, cat, promotion_ids=(a.pk, b.pk))
    assert "only one of them applies" in errors_of(exc)["promotions"][0]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        make(consultant, customer, cat, promotion_ids=(a.pk, solo.pk))
    assert "exclusive" in errors_of(exc)["promotions"][0]
    assert not Offer.objects.exists()


def test_a_trim_the_store_does_not_sell_is_refused(consultant, customer, store_a):
    foreign = TrimFactory(series__brand=BrandFactory(code="yuanhang", name="远航"))
    MarkedPriceFactory(store=store_a, trim=foreign)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.offer_create(actor=consultant, customer=customer, request=OfferRequest(trim_id=foreign.pk))
    assert "does not sell 远航" in errors_of(exc)["trim"][0]
    assert not Offer.objects.exists()


def test_a_trim_without_a_marked_price_in_force_is_refused(consultant, customer, store_a):
    trim = TrimFactory()
    MarkedPriceFactory(store=store_a, trim=trim, valid_from=timezone.now() + datetime.timedelta(days=2))
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.offer_create(actor=consultant, customer=customer, request=OfferRequest(trim_id=trim.pk))
    assert "no marked price in force" in errors_of(exc)["trim"][0]
    assert not Offer.objects.exists()


def test_a_colour_or_option_of_another_trim_is_refused(consultant, customer, cat):
    other = TrimFactory()
    colour, option = ColourFactory(trim=other, name="别的颜色"), OptionFactory(trim=other)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        make(consultant, customer, cat, colour_id=colour.pk, option_ids=(option.pk,))
    assert "belongs to another trim" in errors_of(exc)["colour"][0]
    assert "belongs to another trim" in errors_of(exc)["options"][0]
    assert not Offer.objects.exists()


def test_only_sales_staff_of_the_store_make_offers(store_a, store_b, customer, cat, make_staff):
    with pytest.raises(NotPermitted):
        make(make_staff("care_specialist", store_a), customer, cat)
    with pytest.raises(NotPermitted):
        make(make_staff("consultant", store_b), customer, cat)


# ---------------------------------------------------------------- promotions


def promotion_values(**fields) -> dict:
    today = timezone.localdate()
    values = {
        "name": "双十一",
        "kind": "cash_discount",
        "amount": "5000",
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=10),
        "stacking_group": "cash",
    }
    values.update(fields)
    return values


def test_store_admins_create_and_change_promotions(store_a, make_staff, consultant):
    admin = make_staff("store_admin", store_a)
    p = services.promotion_create(actor=admin, store=store_a, **promotion_values(cities="深圳，广州"))
    assert p.amount == D("5000.00") and p.cities == ["深圳", "广州"] and p.group == store_a.group
    p = services.promotion_update(actor=admin, promotion=p, amount="6000.50")
    assert p.amount == D("6000.50")
    assert AuditEntry.objects.filter(action="promotion.updated", target_id=str(p.pk)).exists()
    with pytest.raises(NotPermitted):
        services.promotion_create(actor=consultant, store=store_a, **promotion_values())
    with pytest.raises(NotPermitted):
        services.promotion_update(actor=consultant, promotion=p, amount="1")


def test_group_wide_promotions_need_a_group_admin(store_a, make_staff):
    admin = make_staff("store_admin", store_a)
    with pytest.raises(NotPermitted):
        services.promotion_create(actor=admin, store=None, group=store_a.group, **promotion_values())
    group_admin = make_staff("group_admin", store_a)
    p = services.promotion_create(actor=group_admin, store=None, group=store_a.group, **promotion_values())
    assert p.store is None


def the_day_before_today() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        # a date is given as a callable, read when the test runs (on the test's clock), not when it is collected
        ({"ends_on": the_day_before_today}, "ends_on", "cannot end before it starts"),
        ({"amount": "-5000"}, "amount", "cannot be negative"),
        ({"amount": ""}, "amount", "Enter the amount"),
        ({"kind": "percentage_discount", "percentage": "120"}, "percentage", "at most 100"),
        ({"kind": "gift", "gift_description": ""}, "gift_description", "Describe"),
        ({"stacking_group": ""}, "stacking_group", "Name the stacking group"),
        ({"exclusive": True}, "stacking_group", "leave the stacking group empty"),
        ({"budget_remaining": "-1"}, "budget_remaining", "cannot be negative"),
        ({"quantity_remaining": -1}, "quantity_remaining", "cannot be negative"),
        ({"name": " "}, "name", "Give the promotion a name"),
    ],
)
def test_bad_promotions_are_refused_with_a_specific_message(store_a, make_staff, fields, field, fragment):
    admin = make_staff("store_admin", store_a)
    fields = {name: value() if callable(value) else value for name, value in fields.items()}
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.promotion_create(actor=admin, store=store_a, **promotion_values(**fields))
    assert fragment in " ".join(errors_of(exc)[field])
    assert not Promotion.objects.exists()


def test_a_promotion_scope_must_be_consistent_and_sold_by_the_store(store_a, make_staff):
    admin = make_staff("store_admin", store_a)
    series = SeriesFactory()
    foreign = BrandFactory(code="qingfeng", name="青峰")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.promotion_create(actor=admin, store=store_a, **promotion_values(brand=foreign, series=series))
    assert "not of the chosen brand" in errors_of(exc)["series"][0]
    assert "does not sell this brand" in errors_of(exc)["brand"][0]
    p = services.promotion_create(actor=admin, store=store_a, **promotion_values(series=series))
    assert p.brand_id == series.brand_id  # filled in from the series


def test_a_customer_without_a_city_is_judged_in_the_store_city(store_a):
    # given a store in 深圳 and two customers, one without a city and one from 广州
    nameless = CustomerFactory(store=store_a, city="")
    from_guangzhou = CustomerFactory(store=store_a, city="广州")
    # when their situations are read for an offer
    # then the first is taken to live in the store's city, the second keeps their own
    assert services.customer_context_for(nameless).city == "深圳"
    assert services.customer_context_for(from_guangzhou).city == "广州"
