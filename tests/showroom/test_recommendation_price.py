"""The recommendation and the offer agree (issue #10.8): the recommendation's "after discounts" for a customer comes
from the offers' own pricing (`offers.engine.best_price`, same facts and the customer's situation), so the offer made
from a recommended trim costs exactly what the recommendation said; and a trim listed above a higher score says why."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from dealerdesk.customers import services as customer_services
from dealerdesk.offers import services as offer_services
from dealerdesk.showroom import selectors
from dealerdesk.showroom import services as showroom_services
from dealerdesk.showroom.recommend import Needs, TrimFacts, money, order_reasons, rank
from tests.customers.factories import CustomerFactory
from tests.offers.helpers import catalogue, promotion

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shanghai_clock")]
D = Decimal


@pytest.fixture
def cat(store_a):
    # an odd marked price, so that a percentage discount leaves fen and yuan that must agree to the fen
    return catalogue(store_a, marked=D("223456.00"))


@pytest.fixture
def promotions(store_a):
    promotion(store_a, name="现金优惠", amount=D("5000.00"), stacking_group="cash")
    promotion(
        store_a, name="限时折扣", kind="percentage_discount", amount=None, percentage=D("1.30"), stacking_group="pct"
    )
    # conditional ones: a neutral customer never gets them, this customer (trade-in, loan) does
    promotion(store_a, name="置换补贴", amount=D("4000.00"), stacking_group="trade", requires_trade_in=True)
    promotion(store_a, name="金融贴息", amount=D("2500.00"), stacking_group="loan", requires_loan=True)


@pytest.fixture
def assessment(store_a, consultant, cat, promotions):
    customer = CustomerFactory(store=store_a, owner=consultant, name="陈晓明", city="深圳")
    return showroom_services.needs_assessment_create(
        actor=consultant,
        customer=customer,
        budget_max="260000",
        trade_in=True,
        payment_method="loan",
        timeframe="month",
    )


def _recommended(consultant, assessment, trim_id):
    needs = showroom_services.needs_from({f: getattr(assessment, f) for f in showroom_services.NEEDS_FIELDS})
    result = selectors.recommendations_for(consultant, assessment.store, needs, limit=10, customer=assessment.customer)
    return next(r for r in result.results if r.trim.id == trim_id)


def test_the_recommended_price_is_the_offer_made_from_it(consultant, assessment, cat, client):
    # given the recommendation for this customer
    row = _recommended(consultant, assessment, cat.trim.pk)
    # when the consultant makes the offer for that trim (as the row's link opens the builder)
    offer = offer_services.offer_create(
        actor=consultant,
        customer=assessment.customer,
        request=offer_services.OfferRequest(trim_id=cat.trim.pk),
    )
    # then the offer's total is the recommendation's price after discounts, to the fen
    assert offer.current.total == row.trim.net_price
    # 223,456 − 5,000 − 1.3 % (2,904.93) − 4,000 trade-in − 2,500 loan
    assert row.trim.net_price == D("209051.07")
    # and the page says the same and links the offer builder with the trim
    client.force_login(consultant)
    html = client.get(reverse("needs_detail", args=[assessment.pk])).content.decode()
    assert money(offer.current.total) in html.split('data-testid="net-price"', 1)[1][:60]
    link = f"{reverse('offer_create')}?customer={assessment.customer_id}&amp;trim={cat.trim.pk}"
    assert link in html
    builder = client.get(f"{reverse('offer_create')}?customer={assessment.customer_id}&trim={cat.trim.pk}")
    assert builder.status_code == 200


def test_the_recorded_advice_keeps_the_same_price(consultant, assessment, cat):
    recommendation = showroom_services.recommendation_record(
        actor=consultant, assessment=assessment, trim_ids=[cat.trim.pk]
    )
    offer = offer_services.offer_create(
        actor=consultant,
        customer=assessment.customer,
        request=offer_services.OfferRequest(trim_id=cat.trim.pk),
    )
    assert D(recommendation.snapshot[0]["net_price"]) == offer.current.total


def test_a_new_need_reprices_the_recommendation_like_the_offer(consultant, assessment, cat):
    # the customer no longer trades in: the trade-in subsidy leaves both the recommendation and the offer
    customer_services.need_record(actor=consultant, customer=assessment.customer, trade_in=False, payment_method="loan")
    row = _recommended(consultant, assessment, cat.trim.pk)
    offer = offer_services.offer_create(
        actor=consultant,
        customer=assessment.customer,
        request=offer_services.OfferRequest(trim_id=cat.trim.pk),
    )
    assert offer.current.total == row.trim.net_price == D("213051.07")


def _trim(id, **fields) -> TrimFacts:
    values = {"name": f"星辰 {id}", "energy_type": "bev", "body_type": "suv", "seats": 5, "price": D("200000")}
    values.update(fields)
    return TrimFacts(id=id, discount=D("0"), electric_range_km=600, **values)


def test_a_lower_score_listed_first_says_why():
    # given a trim in stock that fits worse (a PHEV for a BEV buyer) and an orderable one that fits better
    needs = Needs(energy_types=("bev",))
    in_stock = _trim(1, energy_type="phev", in_stock=2)
    better = _trim(2, energy_type="bev")
    ranked = rank(needs, [better, in_stock])
    # then the one in stock comes first although it scores lower, and says why
    assert [r.trim.id for r in ranked] == [1, 2] and ranked[0].score < ranked[1].score
    with translation.override("zh-hans"):
        reasons = order_reasons(ranked)
    assert "在库可当天提车" in reasons[0] and reasons[1] == ""


def test_every_row_above_a_higher_score_carries_a_reason(consultant, assessment, store_a, client):
    client.force_login(consultant)
    html = client.get(reverse("needs_detail", args=[assessment.pk])).content.decode()
    assert 'data-testid="order-note"' in html
    needs = showroom_services.needs_from({f: getattr(assessment, f) for f in showroom_services.NEEDS_FIELDS})
    results = selectors.recommendations_for(consultant, store_a, needs, customer=assessment.customer).results
    for i, (row, reason) in enumerate(zip(results, order_reasons(results), strict=True)):
        if any(r.score > row.score for r in results[i + 1 :]):
            assert reason
