"""Catalogue reads: trims a store sells, the marked price in force over its history, one query for many trims,
stock scoped to the user's stores."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from dealerdesk.catalog import selectors
from tests.catalog.factories import (
    BrandFactory,
    MarkedPriceFactory,
    SeriesFactory,
    StockVehicleFactory,
    TrimFactory,
)
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def test_trims_sold_by_the_store_are_the_active_trims_of_its_brands(group):
    # given a store selling 星耀 by code and 远航 by name, and trims of three brands
    store = StoreFactory(group=group, brands=["xingyao", "远航"])
    xingyao = TrimFactory()
    yuanhang = TrimFactory(series__brand=BrandFactory(code="yuanhang", name="远航"))
    TrimFactory(series__brand=BrandFactory(code="qingfeng", name="青峰"))
    TrimFactory(is_active=False)
    TrimFactory(series=SeriesFactory(is_active=False))
    # then only the active trims of 星耀 and 远航
    assert set(selectors.trims_sold_by(store)) == {xingyao, yuanhang}
    assert selectors.store_sells_trim(store, yuanhang)


def test_the_marked_price_in_force_is_the_newest_started_one(store_a):
    # given a price history: launch, a cut last week, and a rise planned for next week
    trim = TrimFactory()
    now = timezone.now()
    launch = MarkedPriceFactory(store=store_a, trim=trim, price=Decimal("199800"), valid_from=now - 60 * DAY)
    cut = MarkedPriceFactory(store=store_a, trim=trim, price=Decimal("189800"), valid_from=now - 7 * DAY)
    MarkedPriceFactory(store=store_a, trim=trim, price=Decimal("192800"), valid_from=now + 7 * DAY)
    MarkedPriceFactory(trim=trim, price=Decimal("150000"), valid_from=now - DAY)  # another store
    # then the cut is in force now, the launch price a month ago, nothing before the launch
    assert selectors.marked_price_in_force(store_a, trim) == cut
    assert selectors.marked_price_in_force(store_a, trim, at=now - 30 * DAY) == launch
    assert selectors.marked_price_in_force(store_a, trim, at=now - 90 * DAY) is None
    assert selectors.marked_price_in_force(store_a, trim, at=now + 8 * DAY).price == Decimal("192800")
    assert [p.price for p in selectors.marked_price_history(store_a, trim)] == [
        Decimal("192800.00"),
        Decimal("189800.00"),
        Decimal("199800.00"),
    ]


def test_marked_prices_in_force_for_many_trims_take_one_query(store_a, django_assert_num_queries):
    # given 30 trims with two prices each and 5 without
    now = timezone.now()
    priced = []
    for n in range(30):
        trim = TrimFactory()
        MarkedPriceFactory(store=store_a, trim=trim, price=Decimal(100000 + n), valid_from=now - 10 * DAY)
        MarkedPriceFactory(store=store_a, trim=trim, price=Decimal(90000 + n), valid_from=now - DAY)
        priced.append(trim)
    unpriced = [TrimFactory() for _ in range(5)]
    # when the prices of all are asked for
    with django_assert_num_queries(1):
        prices = selectors.marked_prices_in_force(store_a, [*priced, *[t.pk for t in unpriced]])
    # then each priced trim has its newest price, the others none
    assert prices == {trim.pk: Decimal(90000 + n) for n, trim in enumerate(priced)}
    assert selectors.marked_prices_in_force(store_a, []) == {}


def test_catalog_tree_groups_trims_in_one_query(django_assert_num_queries):
    # given two series of one brand and one of another
    first, second = SeriesFactory(code="a"), SeriesFactory(code="b")
    other = SeriesFactory(brand=BrandFactory(code="yuanhang", name="远航"))
    trims = [
        TrimFactory(series=first),
        TrimFactory(series=first),
        TrimFactory(series=second),
        TrimFactory(series=other),
    ]
    # when the tree is built
    with django_assert_num_queries(1):
        tree = selectors.catalog_tree()
    # then brand → series → trims
    assert [node.brand.code for node in tree] == ["xingyao", "yuanhang"]
    assert [[t.pk for t in s.trims] for s in tree[0].series] == [[trims[0].pk, trims[1].pk], [trims[2].pk]]
    assert tree[0].trim_count == 3 and tree[1].series[0].trims == [trims[3]]


def test_stock_is_scoped_to_the_users_stores(store_a, store_b, make_staff):
    # given a vehicle in each store and a demo car in A
    mine = StockVehicleFactory(store=store_a)
    demo = StockVehicleFactory(store=store_a, is_demo=True)
    StockVehicleFactory(store=store_b)
    consultant = make_staff("consultant", store_a)
    # then the consultant of A sees A's only; a group admin sees all
    assert set(selectors.stock_visible_to(consultant)) == {mine, demo}
    assert list(selectors.demo_cars_visible_to(consultant)) == [demo]
    assert selectors.stock_visible_to(make_staff("group_admin", store_a)).count() == 3


def test_stock_counts_and_insurance_warning(store_a):
    trim = TrimFactory()
    StockVehicleFactory.create_batch(2, store=store_a, trim=trim)
    StockVehicleFactory(store=store_a, trim=trim, status="sold")
    car = StockVehicleFactory(store=store_a, trim=trim, is_demo=True)
    assert selectors.stock_counts_by_trim(store_a) == {trim.pk: 2}
    today = timezone.localdate()
    car.insurance_expires_on = today + datetime.timedelta(days=30)
    assert selectors.insurance_expiring(car, today=today)
    car.insurance_expires_on = today + datetime.timedelta(days=31)
    assert not selectors.insurance_expiring(car, today=today)
