"""The catalogue factories build valid rows (other apps' tests rely on them)."""

from dealerdesk.catalog.choices import StockStatus
from dealerdesk.core.validators import normalize_plate, normalize_vin
from tests.catalog.factories import (
    ColourFactory,
    MarkedPriceFactory,
    OptionFactory,
    StockVehicleFactory,
    TrimFactory,
    make_vin,
)


def test_make_vin_gives_distinct_valid_vins():
    vins = {make_vin(n) for n in range(500)}
    assert len(vins) == 500
    assert all(normalize_vin(vin) == vin for vin in vins)


def test_factories_build_a_consistent_catalogue(db):
    # given / when
    trim = TrimFactory()
    colour = ColourFactory(trim=trim)
    option = OptionFactory(trim=trim)
    price = MarkedPriceFactory(trim=trim)
    car = StockVehicleFactory(trim=trim, store=price.store, exterior=colour, options=[option])
    demo = StockVehicleFactory(trim=trim, store=price.store, is_demo=True)
    # then
    trim.full_clean()
    assert price.price < trim.msrp
    assert car.status == StockStatus.IN_STOCK
    assert list(car.options.all()) == [option]
    assert normalize_plate(demo.plate) == demo.plate
    assert demo.demo_status == "available"
