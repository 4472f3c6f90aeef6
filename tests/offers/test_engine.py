"""The offer engine on plain dataclasses: eligibility with reasons, the exact best combination, the breakdown."""

import itertools
import random
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from dealerdesk.offers import engine
from dealerdesk.offers.engine import CustomerContext, Item, PromotionFacts, Service, VehicleFacts

D = Decimal
TODAY = date(2026, 6, 15)


def promo(pid: int, **fields) -> PromotionFacts:
    values = {
        "id": pid,
        "name": f"P{pid}",
        "kind": "cash_discount",
        "amount": D("1000.00"),
        "starts_on": TODAY - timedelta(days=10),
        "ends_on": TODAY + timedelta(days=10),
        "stacking_group": f"g{pid}",
    }
    values.update(fields)
    if values.get("exclusive"):
        values["stacking_group"] = ""
    return PromotionFacts(**values)


def vehicle(**fields) -> VehicleFacts:
    values = {
        "trim_id": 1,
        "series_id": 10,
        "brand_id": 100,
        "label": "星辰 2026款 长续航版",
        "marked_price_id": 7,
        "marked_price": D("200000.00"),
        "colour": Item(1, "星河蓝", D("3000.00")),
        "options": (Item(2, "智驾包", D("8000.00")), Item(3, "座椅通风", D("1999.99"))),
    }
    values.update(fields)
    return VehicleFacts(**values)


def best_of(promotions, v=None, customer=CustomerContext()):
    v = v or vehicle()
    judged = engine.judge_all(promotions, v, customer, TODAY)
    return engine.best_combination(judged, v.vehicle_price)


def brute_force(promotions, v, customer=CustomerContext()) -> Decimal:
    """The optimum by trying every subset (only for small test sets)."""
    judged = [j for j in engine.judge_all(promotions, v, customer, TODAY) if j.eligible]
    best = D("0")
    for r in range(len(judged) + 1):
        for subset in itertools.combinations(judged, r):
            exclusive = [j for j in subset if j.promotion.exclusive]
            if exclusive and len(subset) > 1:
                continue
            groups = [j.promotion.stacking_group for j in subset if not j.promotion.exclusive]
            if len(groups) != len(set(groups)):
                continue
            best = max(best, engine.Combination.of(subset, v.vehicle_price).benefit)
    return best


# ---------------------------------------------------------------- eligibility and reasons


def test_every_reason_is_given_with_its_translated_message():
    # given promotions failing for different reasons
    v = vehicle(stock_age_days=20)
    cases = {
        "expired": promo(1, ends_on=date(2026, 5, 31), starts_on=date(2026, 5, 1)),
        "not_started": promo(2, starts_on=date(2026, 7, 1), ends_on=date(2026, 7, 31)),
        "wrong_brand": promo(3, brand_id=999),
        "wrong_series": promo(4, series_id=999),
        "wrong_trim": promo(5, trim_id=999),
        "stock_age": promo(6, min_stock_age_days=90),
        "needs_trade_in": promo(7, requires_trade_in=True),
        "needs_loan": promo(8, requires_loan=True),
        "first_car_only": promo(9, requires_first_car=True),
        "wrong_city": promo(10, cities=("广州",)),
        "budget_used_up": promo(11, budget_remaining=D("0.00")),
        "budget_short": promo(12, budget_remaining=D("500.00")),
        "quantity_used_up": promo(13, quantity_remaining=0),
    }
    # when they are judged for a neutral customer in 深圳
    judged = {j.promotion.id: j for j in engine.judge_all(cases.values(), v, CustomerContext(city="深圳"), TODAY)}
    # then none is eligible and each says why
    for code, p in cases.items():
        j = judged[p.id]
        assert not j.eligible
        assert [r.code for r in j.reasons] == [code]
    with translation.override("en"):
        assert judged[1].reasons[0].message == "expired on 2026-05-31"
        assert judged[7].reasons[0].message == "needs a trade-in"
        assert judged[4].reasons[0].message == "not for this series"
        assert judged[11].reasons[0].message == "budget used up"
        assert judged[6].reasons[0].message == "only for vehicles in stock for at least 90 days"
    with translation.override("zh-hans"):
        assert "2026-05-31" in judged[1].reasons[0].message


def test_conditions_met_make_a_promotion_eligible_and_city_matches_with_or_without_shi():
    p = promo(1, requires_trade_in=True, requires_loan=True, requires_first_car=True, cities=("深圳市",))
    customer = CustomerContext(trade_in=True, loan=True, first_car=True, city="深圳")
    j = engine.judge(p, vehicle(), customer, TODAY)
    assert j.eligible and [r.code for r in j.reasons] == ["eligible"]
    assert not engine.judge(p, vehicle(), CustomerContext(trade_in=True, loan=True, first_car=True), TODAY).eligible


def test_the_window_includes_its_first_and_last_day_and_stock_age_exactly_n_days_qualifies():
    p = promo(1, starts_on=TODAY, ends_on=TODAY, min_stock_age_days=30)
    assert engine.judge(p, vehicle(stock_age_days=30), CustomerContext(), TODAY).eligible
    assert not engine.judge(p, vehicle(stock_age_days=29), CustomerContext(), TODAY).eligible
    assert not engine.judge(p, vehicle(stock_age_days=None), CustomerContext(), TODAY).eligible


def test_several_failures_are_all_listed():
    p = promo(1, requires_trade_in=True, series_id=999, ends_on=TODAY - timedelta(days=1))
    j = engine.judge(p, vehicle(), CustomerContext(), TODAY)
    assert [r.code for r in j.reasons] == ["expired", "wrong_series", "needs_trade_in"]


# ---------------------------------------------------------------- the percentage rule and exact money


def test_percentage_applies_to_marked_price_plus_colour_and_options_rounded_half_up():
    # given a vehicle price of 200,000 + 3,000 + 8,000 + 1,999.99 = 212,999.99
    v = vehicle()
    assert v.vehicle_price == D("212999.99")
    # when a 3% discount is judged
    j = engine.judge(
        promo(1, kind="percentage_discount", amount=None, percentage=D("3.00")), v, CustomerContext(), TODAY
    )
    # then it is 3% of the whole vehicle price: 6389.9997 → 6390.00 (half up to the fen)
    assert j.reduction == D("6390.00")
    assert isinstance(j.reduction, Decimal) and j.reduction.as_tuple().exponent == -2


def test_percentage_is_not_compounded_with_other_discounts():
    v = vehicle(colour=None, options=())
    promotions = [promo(1, amount=D("10000.00")), promo(2, kind="percentage_discount", amount=None, percentage=D("10"))]
    combo = best_of(promotions, v)
    b = engine.breakdown(v, combo)
    # 10% of 200,000 (not of 190,000)
    assert [line.amount for line in b.lines if line.kind == "discount"] == [D("-10000.00"), D("-20000.00")]
    assert b.total == D("170000.00")


def test_decimal_amounts_stay_exact_to_the_fen():
    v = vehicle(marked_price=D("0.10"), colour=Item(1, "c", D("0.20")), options=())
    b = engine.breakdown(v, engine.EMPTY, extra_discount=D("0.30"))
    assert b.vehicle_price == D("0.30")  # 0.1 + 0.2 is exactly 0.30, not 0.30000000000000004
    assert b.total == D("0.00")
    assert all(isinstance(line.amount, Decimal) for line in b.lines)


# ---------------------------------------------------------------- the best combination


def test_exclusive_combines_with_nothing_and_groups_allow_one_each():
    promotions = [
        promo(1, exclusive=True, amount=D("9000.00")),
        promo(2, stacking_group="cash", amount=D("4000.00")),
        promo(3, stacking_group="cash", amount=D("3000.00")),
        promo(4, stacking_group="finance", kind="finance_subsidy", amount=D("3000.00")),
    ]
    combo = best_of(promotions)
    # 4,000 (best of "cash") + 3,000 (finance) = 7,000 < 9,000 alone
    assert combo.ids == (1,)
    assert combo.benefit == D("9000.00")
    promotions[0] = promo(1, exclusive=True, amount=D("6500.00"))
    combo = best_of(promotions)
    assert combo.ids == (2, 4)
    assert combo.benefit == D("7000.00")


def test_greedy_picks_wrong_where_exact_picks_right():
    # given: the single biggest promotion is exclusive; two smaller ones of different groups add up to more
    promotions = [
        promo(1, exclusive=True, amount=D("10000.00")),
        promo(2, stacking_group="a", amount=D("6000.00")),
        promo(3, stacking_group="b", amount=D("5000.00")),
    ]
    # a greedy pick (largest first, add what still combines) takes the exclusive 10,000 and stops
    judged = sorted(engine.judge_all(promotions, vehicle(), CustomerContext(), TODAY), key=lambda j: -j.benefit)
    greedy = [judged[0]]
    assert greedy[0].promotion.exclusive
    # when the engine chooses
    combo = best_of(promotions)
    # then it finds 6,000 + 5,000 = 11,000
    assert combo.ids == (2, 3)
    assert combo.benefit == D("11000.00") > greedy[0].benefit


def test_gifts_count_by_their_value_but_are_not_deducted():
    v = vehicle(colour=None, options=())
    promotions = [
        promo(1, stacking_group="gift", kind="gift", amount=D("2000.00"), gift_description="行车记录仪"),
        promo(2, stacking_group="gift", amount=D("1500.00")),
    ]
    combo = best_of(promotions, v)
    assert combo.ids == (1,)
    b = engine.breakdown(v, combo)
    gift = next(line for line in b.lines if line.kind == "gift")
    assert gift.amount == D("0.00") and gift.value == D("2000.00") and "行车记录仪" in gift.label
    assert b.total == D("200000.00") and b.gift_value == D("2000.00")


def test_ineligible_and_capped_promotions_are_never_chosen():
    promotions = [
        promo(1, amount=D("50000.00"), requires_trade_in=True),
        promo(2, amount=D("40000.00"), quantity_remaining=0),
        promo(3, amount=D("30000.00"), budget_remaining=D("100.00")),
        promo(4, amount=D("1000.00")),
    ]
    assert best_of(promotions).ids == (4,)


def test_total_never_exceeds_the_vehicle_price_nor_goes_below_zero():
    # given reductions worth more than the car
    v = vehicle(marked_price=D("50000.00"), colour=None, options=())
    promotions = [promo(i, stacking_group=f"g{i}", amount=D("20000.00")) for i in range(1, 5)]
    combo = best_of(promotions, v)
    b = engine.breakdown(v, combo)
    # then the discount stops at the vehicle price
    assert combo.benefit == D("50000.00")
    assert b.discount_total == D("50000.00")
    assert b.total == D("0.00")
    assert sum(line.amount for line in b.lines if line.kind != "total") == b.total
    # and with no promotion the total is exactly the vehicle price, never more
    assert engine.breakdown(v, engine.EMPTY).total == v.vehicle_price


def test_the_exact_search_matches_brute_force_when_the_price_cut_off_binds():
    # given reductions and gifts that exceed the vehicle price, so the groups interact
    rng = random.Random(7)
    v = vehicle(marked_price=D("30000.00"), colour=None, options=())
    for _round in range(30):
        promotions = []
        for pid in range(1, 11):
            kind = rng.choice(["cash_discount", "gift"])
            promotions.append(
                promo(
                    pid,
                    kind=kind,
                    amount=D(rng.randrange(1000, 15000)),
                    gift_description="礼包" if kind == "gift" else "",
                    stacking_group=rng.choice("abcd"),
                    exclusive=rng.random() < 0.15,
                )
            )
        # then the engine's optimum is the true optimum
        assert best_of(promotions, v).benefit == brute_force(promotions, v)


def test_the_fast_path_matches_brute_force_too():
    rng = random.Random(11)
    v = vehicle()
    for _round in range(30):
        promotions = [
            promo(
                pid, amount=D(rng.randrange(100, 5000)), stacking_group=rng.choice("abc"), exclusive=rng.random() < 0.2
            )
            for pid in range(1, 11)
        ]
        assert best_of(promotions, v).benefit == brute_force(promotions, v)


def test_ties_prefer_no_manager_approval_then_fewer_promotions():
    promotions = [
        promo(1, stacking_group="a", amount=D("3000.00"), needs_approval=True),
        promo(2, stacking_group="a", amount=D("3000.00")),
        promo(3, exclusive=True, amount=D("3000.00")),
    ]
    combo = best_of(promotions)
    assert combo.ids == (2,)  # as good as 1 without a manager; as good as 3 and older
    assert not any(j.promotion.needs_approval for j in combo.chosen)


def test_two_hundred_promotions_are_judged_and_combined_quickly():
    rng = random.Random(3)
    promotions = [
        promo(
            pid,
            kind=rng.choice(["cash_discount", "percentage_discount", "gift", "trade_in_subsidy"]),
            amount=D(rng.randrange(500, 8000)),
            percentage=D(rng.randrange(1, 5)),
            gift_description="礼",
            stacking_group=f"g{pid % 25}",
            exclusive=pid % 40 == 0,
            requires_trade_in=pid % 7 == 0,
        )
        for pid in range(1, 201)
    ]
    v = vehicle()
    samples = []
    for _ in range(30):
        start = time.perf_counter()
        best_of(promotions, v, CustomerContext(trade_in=True))
        samples.append(time.perf_counter() - start)
    assert sorted(samples)[int(len(samples) * 0.95) - 1] < 0.05


# ---------------------------------------------------------------- hand-picked combinations and the breakdown


def test_a_hand_picked_choice_is_checked_against_eligibility_and_stacking():
    promotions = [
        promo(1, exclusive=True),
        promo(2, stacking_group="a"),
        promo(3, stacking_group="a"),
        promo(4, stacking_group="b", ends_on=TODAY - timedelta(days=1)),
    ]
    judged = engine.judge_all(promotions, vehicle(), CustomerContext(), TODAY)
    with translation.override("en"):
        _picked, problems = engine.check_choice(judged, [1, 2])
        assert [p.code for p in problems] == ["promotion_exclusive"]
        _picked, problems = engine.check_choice(judged, [2, 3])
        assert [p.code for p in problems] == ["promotion_same_group"]
        _picked, problems = engine.check_choice(judged, [4, 99])
        assert [p.code for p in problems] == ["promotion_not_eligible", "promotion_unknown"]
        assert "expired on" in problems[0].message
    picked, problems = engine.check_choice(judged, [2])
    assert not problems and [j.promotion.id for j in picked] == [2]


def test_breakdown_lines_in_order_with_optional_services_after_the_vehicle():
    v = vehicle()
    combo = best_of([promo(1, amount=D("5000.00"))], v)
    b = engine.breakdown(
        v,
        combo,
        extra_discount=D("1000.00"),
        services=[Service("insurance", D("4500.00")), Service("registration", D("500.00"))],
    )
    assert [line.kind for line in b.lines] == [
        "marked_price",
        "colour",
        "option",
        "option",
        "discount",
        "extra_discount",
        "service",
        "service",
        "total",
    ]
    assert all(line.optional for line in b.lines if line.kind == "service")
    assert b.total == D("212999.99") - D("5000.00") - D("1000.00") + D("5000.00")
    assert sum(line.amount for line in b.lines[:-1]) == b.lines[-1].amount == b.total
    assert b.vehicle_total == D("206999.99")


def test_breakdown_refuses_an_extra_discount_beyond_the_price_left():
    v = vehicle(marked_price=D("1000.00"), colour=None, options=())
    with pytest.raises(ValueError):
        engine.breakdown(v, engine.EMPTY, extra_discount=D("1000.01"))
    with pytest.raises(ValueError):
        engine.breakdown(v, engine.EMPTY, extra_discount=D("-1"))
