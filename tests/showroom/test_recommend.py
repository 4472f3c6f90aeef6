"""The recommendation engine: explicit reasons and trade-offs for known cases, the ranking order, and the selector
that loads the store's trims in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.utils import translation

from dealerdesk.showroom import selectors
from dealerdesk.showroom.recommend import Needs, TrimFacts, as_dict, money, rank, rank_priced, render, score_trim
from tests.catalog.factories import BrandFactory, MarkedPriceFactory, SeriesFactory, StockVehicleFactory, TrimFactory


def trim(id=1, **fields) -> TrimFacts:
    values = {
        "name": f"星辰 {id}",
        "energy_type": "bev",
        "body_type": "suv",
        "seats": 5,
        "price": Decimal("200000"),
        "discount": Decimal("0"),
        "electric_range_km": 600,
    }
    values.update(fields)
    return TrimFacts(id=id, **values)


def texts(ranked) -> list[str]:
    with translation.override("en"):
        return [render(r) for r in ranked.reasons]


def codes(ranked, kind=None) -> set[str]:
    return {r.code for r in ranked.reasons if kind is None or r.kind == kind}


def test_seven_seats_as_needed():
    needs = Needs(seats=7)
    seven = score_trim(needs, trim(seats=7))
    five = score_trim(needs, trim(seats=5))
    assert "7 seats as needed" in texts(seven)
    assert "Only 5 seats, 7 needed" in texts(five)
    assert "seats_short" in codes(five, "trade_off")
    assert five.blocking and not seven.blocking
    assert seven.score > five.score


def test_no_home_charger_prefers_a_phev_over_a_bev():
    needs = Needs(home_charging=False, energy_types=("bev", "phev"))
    phev = score_trim(needs, trim(1, energy_type="phev", electric_range_km=120))
    bev = score_trim(needs, trim(2, energy_type="bev"))
    assert "No home charger: PHEV preferred over BEV" in texts(phev)
    assert "no_charger_bev" in codes(bev, "trade_off")
    assert phev.score > bev.score
    assert [r.trim.id for r in rank(needs, [bev.trim, phev.trim])] == [1, 2]


def test_over_budget_by_an_exact_amount_after_discounts():
    needs = Needs(budget_min=Decimal("150000"), budget_max=Decimal("200000"))
    over = score_trim(needs, trim(price=Decimal("220000"), discount=Decimal("8000")))
    assert "¥12,000 over budget after discounts" in texts(over)
    assert not over.blocking  # 6 % over: a trade-off, not a deal breaker
    within = score_trim(needs, trim(price=Decimal("205000"), discount=Decimal("8000")))
    assert "Within budget: ¥197,000 after discounts" in texts(within)


def test_without_the_promotions_engine_the_budget_is_said_to_be_before_promotions():
    needs = Needs(budget_max=Decimal("200000"))
    over = score_trim(needs, trim(price=Decimal("212000.50"), discount=None))
    assert "¥12,000.50 over budget before promotions" in texts(over)


def test_far_over_budget_is_a_deal_breaker():
    needs = Needs(budget_max=Decimal("200000"))
    assert score_trim(needs, trim(price=Decimal("260000"))).blocking


def test_reasons_are_translated_sentences():
    needs = Needs(seats=7, home_charging=False)
    ranked = score_trim(needs, trim(seats=7, energy_type="phev"))
    with translation.override("zh-hans"):
        chinese = [render(r) for r in ranked.reasons]
    with translation.override("en"):
        english = [render(r) for r in ranked.reasons]
    assert len(chinese) == len(english)
    assert all(isinstance(t, str) and t for t in chinese)


def test_body_type_range_and_features():
    needs = Needs(body_type="mpv", usage="long_trips", must_have=("HUD", "全景天窗"))
    ranked = score_trim(needs, trim(body_type="suv", electric_range_km=420, key_features=("全景天窗", "L2")))
    assert {"body_other", "range_short", "lacks_feature"} <= codes(ranked, "trade_off")
    assert "has_feature" in codes(ranked, "fit")
    with translation.override("en"):
        assert "SUV instead of the MPV wanted" in texts(ranked)


def test_meeting_the_needs_comes_first_then_stock_then_score():
    needs = Needs(seats=5)
    good_in_stock = trim(1, in_stock=2)
    good_orderable = trim(2)
    good_in_transit = trim(3, in_transit=1)
    too_small_in_stock = trim(4, seats=4, in_stock=5)
    order = [r.trim.id for r in rank(needs, [too_small_in_stock, good_orderable, good_in_transit, good_in_stock])]
    assert order == [1, 3, 2, 4]


def test_as_dict_carries_trim_score_and_reasons():
    data = as_dict(score_trim(Needs(seats=5), trim(7, in_stock=1)))
    assert data["trim"] == 7
    assert 0 <= data["score"] <= 100
    assert {"kind", "code", "text"} <= set(data["reasons"][0])
    assert money(Decimal("1234567")) == "¥1,234,567"


# ---------------------------------------------------------------- the selector over the catalogue


@pytest.fixture
def catalogue(store_a):
    """Three trims the store sells (a 7-seat PHEV in stock, a 5-seat BEV orderable, an ICE sedan with no marked
    price) and one of a brand it does not sell."""
    brand = BrandFactory(code="xingyao", name="星耀")
    suv = SeriesFactory(brand=brand, name="星辰", body_type="suv")
    sedan = SeriesFactory(brand=brand, name="星河", body_type="sedan")
    phev = TrimFactory(
        series=suv, name="七座插混版", energy_type="phev", seats=7, electric_range_km=150, msrp=Decimal("229800")
    )
    bev = TrimFactory(series=suv, name="长续航版", energy_type="bev", seats=5, msrp=Decimal("199800"))
    ice = TrimFactory(
        series=sedan,
        name="1.5T 豪华版",
        energy_type="ice",
        seats=5,
        electric_range_km=None,
        fuel_l_per_100km=Decimal("6.2"),
        msrp=Decimal("159800"),
    )
    other = TrimFactory(series=SeriesFactory(brand=BrandFactory(code="other", name="别家")), name="别家车")
    MarkedPriceFactory(store=store_a, trim=phev, price=Decimal("219800"))
    MarkedPriceFactory(store=store_a, trim=bev, price=Decimal("189800"))
    StockVehicleFactory(store=store_a, trim=phev)
    StockVehicleFactory(store=store_a, trim=phev, is_demo=True)  # demo cars are not for sale
    return {"phev": phev, "bev": bev, "ice": ice, "other": other}


@pytest.mark.django_db
def test_selector_ranks_the_store_trims_from_plain_data(store_a, consultant, catalogue, django_assert_max_num_queries):
    # given the catalogue; when the trims are loaded, then two queries do it (trims with prices, stock counts)
    with django_assert_max_num_queries(2):
        facts = selectors.trim_facts(store_a)
    assert {f.id for f in facts} == {catalogue[k].pk for k in ("phev", "bev", "ice")}
    # when a 7-seat buyer without a home charger asks
    needs = Needs(seats=7, home_charging=False, budget_max=Decimal("220000"))
    result = selectors.recommendations_for(consultant, store_a, needs)
    # then the 7-seat PHEV in stock comes first, priced at its marked price; the sedan uses its MSRP
    top = result.results[0]
    assert top.trim.id == catalogue["phev"].pk
    assert top.trim.in_stock == 1
    assert top.trim.price == Decimal("219800")
    ice = next(r for r in result.results if r.trim.id == catalogue["ice"].pk)
    assert ice.trim.price_basis == "msrp" and ice.trim.price == Decimal("159800")
    assert catalogue["other"].pk not in [r.trim.id for r in result.results]
    assert result.considered == 3


@pytest.mark.django_db
def test_recommendation_queries_do_not_grow_with_the_catalogue(store_a, consultant, catalogue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    needs = Needs(seats=5, budget_max=Decimal("200000"))
    consultant.perms_in(store_a.pk)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.recommendations_for(consultant, store_a, needs)
        return len(ctx.captured_queries)

    small = count()
    for i in range(30):
        extra = TrimFactory(series=catalogue["bev"].series, msrp=Decimal(150000 + i * 1000))
        MarkedPriceFactory(store=store_a, trim=extra)
        StockVehicleFactory(store=store_a, trim=extra)
    assert count() == small


@pytest.mark.django_db
def test_recommendations_need_the_selling_permission(store_a, receptionist, catalogue):
    with pytest.raises(type(store_a).DoesNotExist):
        selectors.recommendations_for(receptionist, store_a, Needs())


def test_lazy_pricing_gives_the_same_top_as_pricing_every_trim():
    import copy
    import random

    rng = random.Random(7)
    for _round in range(40):
        trims = [
            trim(
                i,
                discount=None,
                price=Decimal(rng.randrange(100, 400) * 1000),
                seats=rng.choice([5, 7]),
                body_type=rng.choice(["suv", "mpv"]),
                energy_type=rng.choice(["bev", "phev", "ice"]),
                in_stock=rng.choice([0, 0, 1]),
            )
            for i in range(1, 120)
        ]
        discounts = {t.id: Decimal(rng.choice([0, 0, 5000, 20000, 60000])) for t in trims}
        low = Decimal(rng.randrange(150, 300) * 1000)
        needs = Needs(budget_min=low, budget_max=low + 50000, seats=rng.choice([None, 7]), home_charging=False)
        asked: list[int] = []

        def price(facts, discounts=discounts, asked=asked):
            asked.extend(f.id for f in facts)
            return {f.id: discounts[f.id] for f in facts}

        everything = copy.deepcopy(trims)
        for t in everything:
            t.discount = discounts[t.id]
        expected = [(r.trim.id, r.score) for r in rank(needs, everything, limit=10)]
        lazy = rank_priced(needs, trims, limit=10, price=price)
        assert [(r.trim.id, r.score) for r in lazy] == expected
        assert len(asked) == len(set(asked)) < len(trims)
