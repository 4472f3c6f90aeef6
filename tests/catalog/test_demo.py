"""The demo catalogue and stock: realistic, valid, fast and idempotent."""

import time

import pytest

from dealerdesk.catalog import demo, services
from dealerdesk.catalog.models import Brand, Colour, MarkedPrice, Option, Series, StockVehicle, Trim
from dealerdesk.catalog.selectors import marked_prices_in_force, trims_sold_by
from dealerdesk.core.validators import normalize_plate, normalize_vin
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_stores(group):
    """The two demo stores as `demo_data` creates them (brand names, as stores set up before codes), then loaded."""
    futian = StoreFactory(group=group, code="sz-futian", brands=["星耀", "远航", "青峰"])
    tianhe = StoreFactory(group=group, code="gz-tianhe", brands=["星耀", "远航"])
    demo.load()
    futian.refresh_from_db()
    tianhe.refresh_from_db()
    return futian, tianhe


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Brand, Series, Trim, Colour, Option, MarkedPrice, StockVehicle))


def test_demo_catalogue_is_realistic_and_valid(demo_stores):
    # given the demo data loaded
    futian, tianhe = demo_stores
    # then: 3 brands, ≥ 10 series, ≥ 40 trims over BEV, PHEV and ICE, each trim valid
    assert Brand.objects.count() >= 3 and Series.objects.count() >= 10 and Trim.objects.count() >= 40
    assert {"bev", "phev", "ice", "hev", "erev"} <= set(Trim.objects.values_list("energy_type", flat=True))
    for trim in Trim.objects.prefetch_related("colours", "options"):
        fields = {name: getattr(trim, name) for name in services.TRIM_FIELDS}
        services.clean_trim_fields({**fields, "code": trim.code + "-x"})
        exteriors = [c for c in trim.colours.all() if c.kind == "exterior"]
        interiors = [c for c in trim.colours.all() if c.kind == "interior"]
        assert 2 <= len(exteriors) <= 5 and 1 <= len(interiors) <= 2 and 2 <= len(trim.options.all()) <= 4
        assert all(isinstance(f, str) and len(f) > 1 for f in trim.key_features)
        for option in trim.options.all():
            assert isinstance(option.contents, list) and all(len(item) > 1 for item in option.contents)
            assert bool(option.contents) == option.is_package
    # and stores sell brands by code, each sold trim has a marked price a little below MSRP
    assert futian.brands == ["xingyao", "yuanhang", "qingfeng"] and tianhe.brands == ["xingyao", "yuanhang"]
    for store in (futian, tianhe):
        sold = list(trims_sold_by(store))
        prices = marked_prices_in_force(store, sold)
        assert len(prices) == len(sold)
        assert all(trim.msrp * 9 / 10 < prices[trim.pk] < trim.msrp for trim in sold)
        stock = StockVehicle.objects.filter(store=store)
        assert 20 <= stock.filter(is_demo=False).count() <= 40
        statuses = set(stock.values_list("status", flat=True))
        assert {"in_transit", "in_stock", "reserved", "sold", "delivered"} <= statuses
        assert all(normalize_vin(vin) == vin for vin in stock.values_list("vin", flat=True))
        assert not stock.exclude(trim__in=sold).exists()
        demo_cars = list(stock.filter(is_demo=True))
        assert 3 <= len(demo_cars) <= 5
        assert all(normalize_plate(car.plate) == car.plate for car in demo_cars)
        assert any(len(car.plate) == 8 for car in demo_cars)
        assert any(car.demo_status == "maintenance" for car in demo_cars)
        assert any((car.insurance_expires_on - car.updated_at.date()).days <= 30 for car in demo_cars)


def test_demo_data_is_idempotent_and_fast(demo_stores):
    # given the demo data loaded once
    before = _counts()
    # when it is loaded again
    started = time.monotonic()
    created = demo.load()
    # then nothing changes
    assert created == 0
    assert _counts() == before
    assert time.monotonic() - started < 3


def test_demo_catalogue_loads_in_under_three_seconds(group):
    # given two empty demo stores
    StoreFactory(group=group, code="sz-futian", brands=["星耀"])
    StoreFactory(group=group, code="gz-tianhe", brands=["星耀"])
    # when the catalogue demo loads
    started = time.monotonic()
    created = demo.load()
    # then it is quick
    assert created > 500
    assert time.monotonic() - started < 3
