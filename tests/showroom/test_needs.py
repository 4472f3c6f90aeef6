"""Needs analysis (3.3): the structured form's validation, the customer's purchase needs and the proposed intent
grade; the advice recorded; the six-point walkaround record."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dealerdesk.core.errors import NotPermitted
from dealerdesk.customers.models import PurchaseNeed
from dealerdesk.showroom import services
from dealerdesk.showroom.models import NeedsAssessment, Presentation, Recommendation
from tests.catalog.factories import MarkedPriceFactory, TrimFactory
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

FULL_NEEDS = {
    "budget_min": "180000",
    "budget_max": "250,000",
    "body_type": "suv",
    "seats": "7",
    "energy_types": ["phev", "erev"],
    "usage": "family",
    "annual_km": "20000",
    "home_charging": False,
    "timeframe": "month",
    "payment_method": "loan",
    "trade_in": True,
    "trade_in_vehicle": "2016 大众朗逸",
    "must_have": "全景天窗，HUD、360 影像",
    "competitors": ["理想 L6", "问界 M7"],
    "decision_maker": "spouse",
    "notes": "周末再带家人来试驾",
}


def take(consultant, customer, **fields) -> NeedsAssessment:
    return services.needs_assessment_create(actor=consultant, customer=customer, **fields)


def test_saving_needs_records_purchase_needs_and_proposes_a_grade(customer, consultant):
    # given the customer had older purchase needs
    old = PurchaseNeed.objects.create(store=customer.store, customer=customer, body_type="sedan")
    # when the consultant saves the full needs form
    assessment = take(consultant, customer, **FULL_NEEDS)
    # then the assessment keeps everything, normalised
    assert assessment.budget_max == Decimal("250000.00")
    assert assessment.seats == 7
    assert assessment.must_have == ["全景天窗", "HUD", "360 影像"]
    assert assessment.home_charging is False
    # and the customer's purchase needs are recorded, the old ones kept as history
    current = PurchaseNeed.objects.get(customer=customer, is_current=True)
    assert assessment.purchase_need == current
    assert (current.body_type, current.seats, current.payment_method, current.trade_in) == ("suv", 7, "loan", True)
    old.refresh_from_db()
    assert not old.is_current
    # and "within a month" proposes grade A, which is not applied until confirmed
    assert assessment.proposed_grade == "A"
    customer.refresh_from_db()
    assert customer.intent_grade == "N"


@pytest.mark.parametrize(
    ("timeframe", "grade"), [("week", "H"), ("month", "A"), ("quarter", "B"), ("later", "C"), ("", "")]
)
def test_the_timeframe_proposes_the_grade(customer, consultant, timeframe, grade):
    assert take(consultant, customer, timeframe=timeframe).proposed_grade == grade


def test_confirming_the_proposed_grade_changes_the_customer(customer, consultant):
    assessment = take(consultant, customer, timeframe="week")
    assessment = services.needs_assessment_confirm_grade(actor=consultant, assessment=assessment)
    customer.refresh_from_db()
    assert customer.intent_grade == "H"
    assert assessment.confirmed_grade == "H"
    assert customer.next_follow_up_at is not None


def test_the_consultant_may_confirm_another_grade(customer, consultant):
    assessment = take(consultant, customer, timeframe="week")
    services.needs_assessment_confirm_grade(actor=consultant, assessment=assessment, grade="a")
    customer.refresh_from_db()
    assert customer.intent_grade == "A"


def test_budget_min_above_max_is_a_field_error_and_nothing_is_written(customer, consultant):
    with pytest.raises(ValidationError) as caught:
        take(consultant, customer, budget_min="300000", budget_max="200000", timeframe="week")
    assert list(caught.value.message_dict) == ["budget_max"]
    assert not NeedsAssessment.objects.exists()
    assert not PurchaseNeed.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("budget_min", "-1"),
        ("budget_max", "abc"),
        ("seats", "12"),
        ("energy_types", ["steam"]),
        ("body_type", "tank"),
        ("usage", "racing"),
        ("annual_km", "-5"),
        ("timeframe", "someday"),
        ("payment_method", "barter"),
        ("decision_maker", "astrologer"),
        ("must_have", ["x" * 41]),
    ],
)
def test_bad_needs_are_refused_by_field(customer, consultant, field, value):
    with pytest.raises(ValidationError) as caught:
        take(consultant, customer, **{field: value})
    assert field in caught.value.message_dict
    assert not NeedsAssessment.objects.exists()


def test_only_the_owning_consultant_or_a_manager_takes_needs(store_a, customer, consultants, manager, receptionist):
    _owner, colleague, _third = consultants
    with pytest.raises(NotPermitted):
        take(colleague, customer, timeframe="week")
    with pytest.raises(NotPermitted):
        take(receptionist, customer, timeframe="week")
    assert not NeedsAssessment.objects.exists() and not PurchaseNeed.objects.exists()
    assert take(manager, customer, timeframe="week").consultant == manager


def test_needs_taken_from_an_anonymous_visit_link_it_to_the_customer(store_a, receptionist, consultant, customer):
    visit = services.visit_arrive(actor=receptionist, store=store_a)
    services.visit_assign(actor=receptionist, visit=visit, consultant=consultant)
    assessment = take(consultant, customer, visit=visit, timeframe="quarter")
    visit.refresh_from_db()
    assert visit.customer == customer
    assert assessment.visit == visit


def test_needs_cannot_use_a_visit_of_another_customer(store_a, receptionist, consultant, customer):
    other = CustomerFactory(store=store_a, owner=consultant)
    visit = services.visit_arrive(actor=receptionist, store=store_a, customer=other)
    with pytest.raises(ValidationError) as caught:
        take(consultant, customer, visit=visit)
    assert "visit" in caught.value.message_dict


# ---------------------------------------------------------------- advice


def test_the_advice_given_is_recorded_with_the_reasons_of_the_moment(store_a, customer, consultant):
    trim = TrimFactory(seats=7, energy_type="phev", electric_range_km=120)
    MarkedPriceFactory(store=store_a, trim=trim, price=Decimal("239800"))
    assessment = take(consultant, customer, seats="7", budget_max="230000", home_charging=False)
    advice = services.recommendation_record(
        actor=consultant, assessment=assessment, trim_ids=[trim.pk], notes="推荐七座插混，周末试驾"
    )
    assert list(advice.trims.all()) == [trim]
    snapshot = advice.snapshot[0]
    assert snapshot["trim"] == trim.pk
    assert {"seats_match", "no_charger_plug_in"} <= {r["code"] for r in snapshot["reasons"]}
    assert any(r["code"].startswith("over_budget") for r in snapshot["reasons"])


def test_advice_on_a_trim_the_store_does_not_sell_is_refused(store_a, customer, consultant):
    from tests.catalog.factories import BrandFactory, SeriesFactory

    foreign = TrimFactory(series=SeriesFactory(brand=BrandFactory(code="else", name="别家")))
    assessment = take(consultant, customer)
    with pytest.raises(ValidationError) as caught:
        services.recommendation_record(actor=consultant, assessment=assessment, trim_ids=[foreign.pk])
    assert "trims" in caught.value.message_dict
    assert not Recommendation.objects.exists()


# ---------------------------------------------------------------- walkaround


def test_a_walkaround_records_positions_questions_objections_and_materials(store_a, customer, consultant):
    trim = TrimFactory()
    presentation = services.presentation_record(
        actor=consultant,
        customer=customer,
        trim=trim,
        points_covered=["interior", "front", "rear"],
        highlights="前脸设计、智能座舱",
        questions="冬季续航？",
        objections="后排空间偏小",
        materials=["brochure", "comparison"],
    )
    assert presentation.points_covered == ["front", "rear", "interior"]  # in walkaround order
    assert presentation.objections == "后排空间偏小"
    assert presentation.materials == ["brochure", "comparison"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"points_covered": []}, "points_covered"),
        ({"points_covered": ["roof"]}, "points_covered"),
        ({"points_covered": ["front"], "materials": ["cash"]}, "materials"),
    ],
)
def test_a_bad_walkaround_is_refused(customer, consultant, fields, field):
    with pytest.raises(ValidationError) as caught:
        services.presentation_record(actor=consultant, customer=customer, **fields)
    assert field in caught.value.message_dict
    assert not Presentation.objects.exists()
