"""Catalogue, marked-price, stock and demo-car services: the happy paths, and every bad input refused with a
specific message and nothing written."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dealerdesk.catalog import services
from dealerdesk.catalog.models import Colour, MarkedPrice, Option, StockVehicle, Trim
from dealerdesk.core.errors import Conflict, NotPermitted, TransitionRefused
from dealerdesk.core.models import AuditEntry
from dealerdesk.testdrives import fleet
from tests.catalog.factories import (
    BrandFactory,
    ColourFactory,
    MarkedPriceFactory,
    OptionFactory,
    SeriesFactory,
    StockVehicleFactory,
    TrimFactory,
    make_vin,
)

pytestmark = pytest.mark.django_db

VIN = make_vin(777_001)


@pytest.fixture
def admin_a(store_a, make_staff):
    return make_staff("store_admin", store_a)


@pytest.fixture
def trim():
    return TrimFactory()


@pytest.fixture
def other_brand_trim():
    return TrimFactory(series__brand=BrandFactory(code="qingfeng", name="青峰"))


def _nothing_written(model, before: int, audits: int) -> None:
    assert model.objects.count() == before
    assert AuditEntry.objects.count() == audits


def _receive(actor, store, **overrides) -> StockVehicle:
    fields = {"vin": VIN, "status": "in_stock", "location": "A区-01"}
    fields.update(overrides)
    return services.stock_receive(actor=actor, store=store, **fields)


# ---------------------------------------------------------------- catalogue


def test_a_store_admin_of_any_store_edits_the_group_catalogue(store_a, store_b, make_staff):
    # given a store admin of store B only
    admin_b = make_staff("store_admin", store_b)
    series = SeriesFactory()
    # when they add a trim, a colour and an option
    trim = services.trim_create(
        actor=admin_b,
        series=series,
        code="XY-S7-2026-LR",
        name="长续航版",
        model_year=2026,
        energy_type="phev",
        seats=5,
        drive="fwd",
        power_kw="160",
        electric_range_km=120,
        fuel_l_per_100km="3.8",
        length_mm=4800,
        width_mm=1880,
        height_mm=1500,
        wheelbase_mm=2850,
        key_features="全景天窗，座椅加热、HUD",
        msrp="159,800",
    )
    colour = services.colour_create(
        actor=admin_b, trim=trim, kind="exterior", code="RD3", name="熔岩红", extra_price=3000
    )
    option = services.option_create(actor=admin_b, trim=trim, code="ADAS", name="智驾包", price="12000")
    # then everything is stored normalised and audited under store B
    assert trim.code == "xy-s7-2026-lr" and trim.msrp == Decimal("159800.00") and trim.body_type == series.body_type
    assert trim.key_features == ["全景天窗", "座椅加热", "HUD"]
    assert colour.extra_price == Decimal("3000.00") and option.price == Decimal("12000.00")
    actions = set(AuditEntry.objects.filter(store=store_b).values_list("action", flat=True))
    assert {"trim.created", "colour.created", "option.created"} <= actions


def test_a_consultant_cannot_edit_the_catalogue(store_a, make_staff, trim):
    consultant = make_staff("consultant", store_a)
    with pytest.raises(NotPermitted):
        services.trim_update(actor=consultant, trim=trim, msrp="1")
    trim.refresh_from_db()
    assert trim.msrp == Decimal("199800.00")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"msrp": "-1000"}, "msrp", "more than zero"),
        ({"msrp": "0"}, "msrp", "more than zero"),
        ({"msrp": "abc"}, "msrp", "amount in yuan"),
        ({"msrp": "1000.123"}, "msrp", "2 decimal places"),
        ({"seats": 12}, "seats", "1 to 9 seats"),
        ({"fuel_l_per_100km": "5.5"}, "fuel_l_per_100km", "uses no fuel"),
        ({"electric_range_km": None}, "electric_range_km", "needs its electric range"),
        ({"energy_type": "ice"}, "fuel_l_per_100km", "needs its fuel consumption"),
        ({"wheelbase_mm": 5000}, "wheelbase_mm", "wheelbase"),
        ({"code": "has space"}, "code", "letters, digits"),
        ({"model_year": 1990}, "model_year", "model year"),
    ],
)
def test_bad_trim_fields_are_refused_field_by_field(admin_a, trim, fields, field, words):
    # given a BEV trim
    audits = AuditEntry.objects.count()
    # when a bad value is saved
    with pytest.raises(ValidationError) as caught:
        services.trim_update(actor=admin_a, trim=trim, **fields)
    # then the field says why and nothing changed
    assert words in " ".join(caught.value.message_dict[field])
    fresh = Trim.objects.get(pk=trim.pk)
    assert (fresh.msrp, fresh.seats, fresh.energy_type) == (trim.msrp, trim.seats, trim.energy_type)
    assert AuditEntry.objects.count() == audits


def test_duplicate_codes_are_refused(admin_a, trim):
    other = TrimFactory()
    ColourFactory(trim=trim, code="WH1")
    with pytest.raises(ValidationError) as caught:
        services.trim_update(actor=admin_a, trim=other, code=trim.code)
    assert "already exists" in caught.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as caught:
        services.colour_create(actor=admin_a, trim=trim, kind="exterior", code="WH1", name="白")
    assert "already has a colour" in caught.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as caught:
        services.brand_create(actor=admin_a, code="xingyao", name="星耀2")
    assert "already exists" in caught.value.message_dict["code"][0]


def test_negative_colour_and_option_prices_are_refused(admin_a, trim):
    colours, options, audits = Colour.objects.count(), Option.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.colour_create(actor=admin_a, trim=trim, kind="exterior", code="X", name="红", extra_price="-500")
    assert caught.value.message_dict["extra_price"] == ["An extra price cannot be negative."]
    with pytest.raises(ValidationError) as caught:
        services.option_create(actor=admin_a, trim=trim, code="O", name="包", price="-1")
    assert caught.value.message_dict["price"] == ["An amount cannot be negative."]
    assert (Colour.objects.count(), Option.objects.count(), AuditEntry.objects.count()) == (colours, options, audits)


def test_series_and_brand_updates_are_audited(admin_a):
    series = SeriesFactory()
    services.series_update(actor=admin_a, series=series, name="星辰新款", is_active=False)
    brand = services.brand_update(actor=admin_a, brand=series.brand, name_en="Star")
    series.refresh_from_db()
    assert series.name == "星辰新款" and not series.is_active and brand.name_en == "Star"
    entry = AuditEntry.objects.get(action="series.updated")
    assert entry.diff["name"][1] == "星辰新款"


# ---------------------------------------------------------------- marked prices


def test_a_store_admin_sets_a_marked_price_and_history_is_kept(store_a, admin_a, trim):
    # given an earlier marked price
    old = MarkedPriceFactory(store=store_a, trim=trim, price=Decimal("195000"))
    # when the store admin sets a new one
    new = services.marked_price_set(actor=admin_a, store=store_a, trim=trim, price="189,800", note="月度调价")
    # then both stay, the new one in force, audited with old and new price
    assert new.price == Decimal("189800.00") and new.set_by == admin_a
    assert set(MarkedPrice.objects.filter(store=store_a, trim=trim)) == {old, new}
    entry = AuditEntry.objects.get(action="marked_price.set")
    assert entry.diff["price"] == ["195000.00", "189800.00"] and entry.store_id == store_a.pk


@pytest.mark.parametrize(
    ("price", "words"),
    [("-1000", "more than zero"), ("0", "more than zero"), ("", "amount in yuan"), ("12.345", "2 decimal places")],
)
def test_bad_marked_prices_are_refused(store_a, admin_a, trim, price, words):
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.marked_price_set(actor=admin_a, store=store_a, trim=trim, price=price)
    assert words in caught.value.message_dict["price"][0]
    _nothing_written(MarkedPrice, 0, audits)


def test_a_marked_price_for_a_brand_the_store_does_not_sell_is_refused(store_a, admin_a, other_brand_trim):
    with pytest.raises(services.BrandNotSold) as caught:
        services.marked_price_set(actor=admin_a, store=store_a, trim=other_brand_trim, price="100000")
    assert caught.value.code == "brand_not_sold" and caught.value.field == "trim"
    assert "does not sell 青峰" in str(caught.value.message)
    assert not MarkedPrice.objects.exists()


def test_a_marked_price_cannot_start_in_the_past_but_may_start_later(store_a, admin_a, trim):
    past = timezone.now() - datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as caught:
        services.marked_price_set(actor=admin_a, store=store_a, trim=trim, price="180000", valid_from=past)
    assert "cannot start in the past" in caught.value.message_dict["valid_from"][0]
    later = services.marked_price_set(
        actor=admin_a, store=store_a, trim=trim, price="180000", valid_from=timezone.now() + datetime.timedelta(days=3)
    )
    assert later.pk


def test_setting_the_same_price_again_is_refused(store_a, admin_a, trim):
    services.marked_price_set(actor=admin_a, store=store_a, trim=trim, price="189800")
    with pytest.raises(ValidationError) as caught:
        services.marked_price_set(actor=admin_a, store=store_a, trim=trim, price="189800.00")
    assert "already the marked price" in caught.value.message_dict["price"][0]
    assert MarkedPrice.objects.count() == 1


def test_only_the_stores_admin_sets_its_marked_prices(store_a, store_b, make_staff, trim):
    for actor in (make_staff("store_admin", store_b), make_staff("sales_manager", store_a)):
        with pytest.raises(NotPermitted):
            services.marked_price_set(actor=actor, store=store_a, trim=trim, price="180000")
    assert not MarkedPrice.objects.exists()


def test_a_store_selling_brands_by_code_sells_their_trims(group, make_staff):
    from tests.factories import StoreFactory

    store = StoreFactory(group=group, brands=["qingfeng"])
    admin = make_staff("store_admin", store)
    trim = TrimFactory(series__brand=BrandFactory(code="qingfeng", name="青峰"))
    assert services.marked_price_set(actor=admin, store=store, trim=trim, price="150000").pk


# ---------------------------------------------------------------- stock


def test_receiving_a_vehicle_with_colours_and_options(store_a, admin_a, trim):
    # given the trim's colours and options
    white = ColourFactory(trim=trim, kind="exterior")
    black = ColourFactory(trim=trim, kind="interior")
    package = OptionFactory(trim=trim)
    # when a vehicle arrives (VIN typed with lower case and spaces)
    vehicle = _receive(
        admin_a,
        store_a,
        vin=" " + VIN.lower()[:8] + " " + VIN.lower()[8:],
        trim=trim,
        exterior=white,
        interior=black,
        options=[package],
    )
    # then it is in stock today, normalised, audited
    assert vehicle.vin == VIN and vehicle.status == "in_stock" and vehicle.arrived_on == timezone.localdate()
    assert list(vehicle.options.all()) == [package]
    assert AuditEntry.objects.filter(action="stock.received", target_id=str(vehicle.pk)).exists()


def test_a_vin_already_in_stock_is_refused_with_409(store_a, store_b, admin_a, make_staff, trim):
    # given a vehicle already in store A
    existing = StockVehicleFactory(store=store_a, trim=trim, vin=VIN)
    audits = AuditEntry.objects.count()
    # when store A receives it again
    with pytest.raises(Conflict) as caught:
        _receive(admin_a, store_a, trim=trim)
    # then 409 naming this store and the existing vehicle
    assert caught.value.status == 409 and caught.value.code == "vin_in_stock"
    assert "already in this store's stock" in str(caught.value.message)
    assert caught.value.extra == {"existing_id": existing.pk}
    # and an admin of store B (who cannot see store A) hears only "another store"
    with pytest.raises(Conflict) as caught:
        _receive(make_staff("store_admin", store_b), store_b, trim=trim)
    assert "another store" in str(caught.value.message) and caught.value.extra == {}
    _nothing_written(StockVehicle, 1, audits)


def test_a_trim_the_store_does_not_sell_is_refused(store_a, admin_a, other_brand_trim):
    with pytest.raises(services.BrandNotSold) as caught:
        _receive(admin_a, store_a, trim=other_brand_trim)
    assert "does not sell 青峰" in str(caught.value.message)
    assert not StockVehicle.objects.exists()


@pytest.mark.parametrize(
    ("vin", "words"),
    [
        ("LXYA1B2C", "17 characters"),
        ("LXYA1B2C0T1OOOOOO", "never contains the letter O"),
        (VIN[:8] + ("1" if VIN[8] != "1" else "2") + VIN[9:], "check digit"),
    ],
)
def test_invalid_vins_are_refused(store_a, admin_a, trim, vin, words):
    with pytest.raises(ValidationError) as caught:
        _receive(admin_a, store_a, trim=trim, vin=vin)
    assert words in caught.value.message_dict["vin"][0]
    assert not StockVehicle.objects.exists()


def test_colours_and_options_of_another_trim_are_refused(store_a, admin_a, trim):
    other = TrimFactory()
    with pytest.raises(ValidationError) as caught:
        _receive(
            admin_a,
            store_a,
            trim=trim,
            exterior=ColourFactory(trim=other, kind="exterior", name="别的白"),
            interior=ColourFactory(trim=trim, kind="exterior"),
            options=[OptionFactory(trim=other, name="别的包")],
        )
    errors = caught.value.message_dict
    assert "别的白 belongs to another trim" in errors["exterior"][0]
    assert errors["interior"] == ["This is an exterior colour; choose an interior one."]
    assert "别的包 belongs to another trim" in errors["options"][0]
    assert not StockVehicle.objects.exists()


def test_a_vehicle_cannot_be_received_as_sold_or_arrive_in_the_future(store_a, admin_a, trim):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        _receive(admin_a, store_a, trim=trim, status="sold")
    assert "in transit or in stock" in caught.value.message_dict["status"][0]
    with pytest.raises(ValidationError) as caught:
        _receive(admin_a, store_a, trim=trim, arrived_on=tomorrow)
    assert "cannot be in the future" in caught.value.message_dict["arrived_on"][0]
    in_transit = _receive(admin_a, store_a, trim=trim, status="in_transit", arrived_on=tomorrow, location="")
    assert in_transit.arrived_on == tomorrow


def test_only_store_admins_receive_stock(store_a, make_staff, trim):
    with pytest.raises(NotPermitted):
        _receive(make_staff("consultant", store_a), store_a, trim=trim)


def test_stock_moves_along_its_workflow(store_a, make_staff, trim):
    # given a vehicle in transit and a consultant
    consultant = make_staff("consultant", store_a)
    vehicle = StockVehicleFactory(store=store_a, trim=trim, status="in_transit", arrived_on=None)
    # when it arrives, is reserved, sold and delivered
    for status in ("in_stock", "reserved", "sold", "delivered"):
        vehicle = services.stock_change_status(actor=consultant, vehicle=vehicle, status=status)
    # then each move is recorded and arrival is dated
    assert vehicle.status == "delivered" and vehicle.arrived_on == timezone.localdate()
    assert AuditEntry.objects.filter(action="stock.status_changed", target_id=str(vehicle.pk)).count() == 4


@pytest.mark.parametrize(
    ("current", "target", "words"),
    [
        ("in_transit", "sold", "“In transit” cannot become “Sold”; it can become: In stock"),
        ("delivered", "in_stock", "cannot change status any more"),
        ("reserved", "in_transit", "cannot become “In transit”"),
    ],
)
def test_refused_stock_moves_say_why(store_a, make_staff, trim, current, target, words):
    consultant = make_staff("consultant", store_a)
    vehicle = StockVehicleFactory(store=store_a, trim=trim, status=current)
    with pytest.raises(TransitionRefused) as caught:
        services.stock_change_status(actor=consultant, vehicle=vehicle, status=target)
    assert words in str(caught.value.message) and caught.value.code == "stock_move_refused"
    vehicle.refresh_from_db()
    assert vehicle.status == current


def test_a_demo_car_in_use_is_not_sold_until_retired(store_a, admin_a, trim):
    car = StockVehicleFactory(store=store_a, trim=trim, is_demo=True)
    with pytest.raises(TransitionRefused) as caught:
        services.stock_change_status(actor=admin_a, vehicle=car, status="sold")
    assert caught.value.code == "demo_car_in_use"
    fleet.demo_car_set_status(actor=admin_a, vehicle=car, demo_status="retired")  # the one owner (#12.2)
    assert services.stock_change_status(actor=admin_a, vehicle=car, status="sold").status == "sold"


def test_stock_of_another_store_cannot_be_moved(store_b, make_staff, trim):
    consultant_b = make_staff("consultant", store_b)
    vehicle = StockVehicleFactory(trim=trim)
    with pytest.raises(NotPermitted):
        services.stock_change_status(actor=consultant_b, vehicle=vehicle, status="reserved")


def test_location_and_certificate_holder_change(store_a, admin_a, trim):
    vehicle = StockVehicleFactory(store=store_a, trim=trim)
    vehicle = services.stock_update(actor=admin_a, vehicle=vehicle, location="B区-07", certificate_holder="lender")
    assert (vehicle.location, vehicle.certificate_holder) == ("B区-07", "lender")
    with pytest.raises(ValidationError):
        services.stock_update(actor=admin_a, vehicle=vehicle, certificate_holder="bank")


# ---------------------------------------------------------------- demo cars


def test_flagging_a_demo_car_normalises_the_plate(store_a, admin_a, trim):
    vehicle = StockVehicleFactory(store=store_a, trim=trim)
    expires = timezone.localdate() + datetime.timedelta(days=300)
    car = services.demo_car_flag(
        actor=admin_a, vehicle=vehicle, plate="粤b·d 88888", insurance_expires_on=expires.isoformat(), odometer_km="12"
    )
    assert (car.is_demo, car.plate, car.demo_status, car.odometer_km) == (True, "粤BD88888", "available", 12)
    assert car.insurance_expires_on == expires
    assert AuditEntry.objects.filter(action="demo_car.flagged").exists()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"plate": "粤B12"}, "plate", "licence plate"),
        ({"plate": "粤BI2345"}, "plate", "licence plate"),
        ({"insurance_expires_on": "2020-01-01"}, "insurance_expires_on", "already expired"),
        ({"insurance_expires_on": ""}, "insurance_expires_on", "insurance expires"),
        ({"odometer_km": -5}, "odometer_km", "odometer reading"),
        ({"demo_status": "retired"}, "demo_status", "available or in maintenance"),
    ],
)
def test_bad_demo_car_fields_are_refused(store_a, admin_a, trim, fields, field, words):
    vehicle = StockVehicleFactory(store=store_a, trim=trim)
    valid = {"plate": "粤B8K2Q6", "insurance_expires_on": timezone.localdate() + datetime.timedelta(days=90)}
    with pytest.raises(ValidationError) as caught:
        services.demo_car_flag(actor=admin_a, vehicle=vehicle, **{**valid, **fields})
    assert words in caught.value.message_dict[field][0]
    vehicle.refresh_from_db()
    assert not vehicle.is_demo and vehicle.plate == ""


def test_a_plate_on_another_vehicle_is_refused(store_a, admin_a, trim):
    StockVehicleFactory(store=store_a, trim=trim, is_demo=True, plate="粤BD12345")
    vehicle = StockVehicleFactory(store=store_a, trim=trim)
    with pytest.raises(ValidationError) as caught:
        services.demo_car_flag(
            actor=admin_a, vehicle=vehicle, plate="粤BD12345", insurance_expires_on=timezone.localdate()
        )
    assert "already on another vehicle" in caught.value.message_dict["plate"][0]


def test_only_a_vehicle_in_stock_becomes_a_demo_car_once(store_a, admin_a, trim):
    expires = timezone.localdate() + datetime.timedelta(days=90)
    sold = StockVehicleFactory(store=store_a, trim=trim, status="sold")
    with pytest.raises(TransitionRefused) as caught:
        services.demo_car_flag(actor=admin_a, vehicle=sold, plate="粤B8K2Q6", insurance_expires_on=expires)
    assert "Only a vehicle in stock" in str(caught.value.message)
    demo = StockVehicleFactory(store=store_a, trim=trim, is_demo=True)
    with pytest.raises(Conflict):
        services.demo_car_flag(actor=admin_a, vehicle=demo, plate="粤B8K2Q6", insurance_expires_on=expires)


# Demo-car status and odometer moved to testdrives.fleet (issue #12.2): tests/testdrives/test_fleet_one_path.py.


def test_renewed_insurance_and_new_plate(store_a, admin_a, trim):
    car = StockVehicleFactory(store=store_a, trim=trim, is_demo=True)
    expires = timezone.localdate() + datetime.timedelta(days=365)
    car = services.demo_car_update(actor=admin_a, vehicle=car, plate="粤B12345D", insurance_expires_on=expires)
    assert (car.plate, car.insurance_expires_on) == ("粤B12345D", expires)
