"""The catalogue and stock API: lists and filters, the caller's store's marked price, receiving (409 on a VIN
already in stock), status moves, demo cars, scoping."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from dealerdesk.catalog.models import MarkedPrice, StockVehicle
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

MAX_QUERIES = 10


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, language="en")


@pytest.fixture
def admin_a(store_a, make_staff):
    return make_staff("store_admin", store_a, language="en")


@pytest.fixture
def catalogue(store_a):
    suv = TrimFactory(series=SeriesFactory(code="x5"), msrp=Decimal("199800"), seats=7)
    sedan = TrimFactory(
        series=SeriesFactory(code="s3", body_type="sedan"),
        energy_type="ice",
        electric_range_km=None,
        fuel_l_per_100km=Decimal("6.1"),
        msrp=Decimal("109800"),
    )
    foreign = TrimFactory(series__brand=BrandFactory(code="qingfeng", name="青峰"))
    MarkedPriceFactory(store=store_a, trim=suv, price=Decimal("189800"))
    ColourFactory(trim=suv, kind="exterior", extra_price=Decimal("3000"))
    ColourFactory(trim=suv, kind="interior")
    OptionFactory(trim=suv, is_package=True, contents=["激光雷达"])
    return {"suv": suv, "sedan": sedan, "foreign": foreign}


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# ---------------------------------------------------------------- catalogue


def test_brands_and_series(api, consultant, catalogue):
    api.force_authenticate(consultant)
    brands = api.get("/api/v1/catalog/brands/").json()["results"]
    assert {b["code"] for b in brands} == {"xingyao", "qingfeng"}
    series = api.get("/api/v1/catalog/series/", {"body_type": "sedan"}).json()["results"]
    assert [s["code"] for s in series] == ["s3"] and series[0]["brand"]["code"] == "xingyao"


def test_trims_include_colours_options_and_the_stores_marked_price(
    api, consultant, catalogue, django_assert_max_num_queries
):
    api.force_authenticate(consultant)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = api.get("/api/v1/catalog/trims/")
    rows = {row["id"]: row for row in response.json()["results"]}
    suv = rows[catalogue["suv"].pk]
    assert suv["msrp"] == "199800.00" and suv["marked_price"] == "189800.00"
    assert suv["brand"]["code"] == "xingyao" and suv["series"]["code"] == "x5"
    assert {c["kind"] for c in suv["colours"]} == {"exterior", "interior"}
    assert suv["options"][0]["contents"] == ["激光雷达"] and suv["options"][0]["price"] == "8000.00"
    assert rows[catalogue["sedan"].pk]["marked_price"] is None
    one = api.get(f"/api/v1/catalog/trims/{catalogue['suv'].pk}/").json()
    assert one["marked_price"] == "189800.00" and one["electric_range_km"] == 600


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"energy_type": "ice"}, {"sedan"}),
        ({"body_type": "suv"}, {"suv", "foreign"}),
        ({"sold": "true"}, {"suv", "sedan"}),
        ({"price_min": "150000", "sold": "true"}, {"suv"}),
        ({"price_max": "190000"}, {"sedan", "suv"}),  # the SUV is marked 189,800 (MSRP 199,800)
        ({"price_max": "189000", "sold": "true"}, {"sedan"}),
        ({"seats": "7"}, {"suv"}),
    ],
)
def test_trim_filters(api, consultant, catalogue, query, expected):
    api.force_authenticate(consultant)
    response = api.get("/api/v1/catalog/trims/", query)
    assert response.status_code == 200
    assert _ids(response) == {catalogue[key].pk for key in expected}


def test_trims_filter_by_brand_and_series(api, consultant, catalogue):
    api.force_authenticate(consultant)
    brand = catalogue["foreign"].series.brand_id
    assert _ids(api.get("/api/v1/catalog/trims/", {"brand": brand})) == {catalogue["foreign"].pk}
    assert _ids(api.get("/api/v1/catalog/trims/", {"series": catalogue["suv"].series_id})) == {catalogue["suv"].pk}


def test_a_store_admin_sets_a_marked_price_over_the_api(api, store_a, admin_a, catalogue):
    api.force_authenticate(admin_a)
    url = f"/api/v1/catalog/trims/{catalogue['suv'].pk}/marked-price/"
    response = api.post(url, {"price": "185800.00", "note": "双十一"}, format="json")
    assert response.status_code == 201 and response.json()["price"] == "185800.00"
    negative = api.post(url, {"price": "-5"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert negative.status_code == 400 and "more than zero" in negative.json()["price"][0]
    foreign = api.post(f"/api/v1/catalog/trims/{catalogue['foreign'].pk}/marked-price/", {"price": "1000"})
    assert foreign.status_code == 400 and foreign.json()["code"] == "brand_not_sold"
    assert MarkedPrice.objects.filter(store=store_a).count() == 2


def test_a_consultant_may_not_set_prices(api, consultant, catalogue):
    api.force_authenticate(consultant)
    response = api.post(f"/api/v1/catalog/trims/{catalogue['suv'].pk}/marked-price/", {"price": "1000"})
    assert response.status_code == 403


# ---------------------------------------------------------------- stock


def test_stock_list_is_scoped_and_filtered(api, store_a, store_b, consultant, catalogue, django_assert_max_num_queries):
    suv = catalogue["suv"]
    mine = StockVehicleFactory(store=store_a, trim=suv, options=[suv.options.first()])
    reserved = StockVehicleFactory(store=store_a, trim=suv, status="reserved")
    demo = StockVehicleFactory(store=store_a, trim=suv, is_demo=True)
    theirs = StockVehicleFactory(store=store_b, trim=suv)
    api.force_authenticate(consultant)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = api.get("/api/v1/stock/")
    assert _ids(response) == {mine.pk, reserved.pk, demo.pk}
    row = next(r for r in response.json()["results"] if r["id"] == mine.pk)
    assert row["options"] == [suv.options.first().pk] and row["trim"]["brand"] == "星耀"
    assert _ids(api.get("/api/v1/stock/", {"status": "reserved"})) == {reserved.pk}
    assert _ids(api.get("/api/v1/stock/", {"is_demo": "true"})) == {demo.pk}
    assert api.get(f"/api/v1/stock/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/stock/{mine.pk}/").json()["vin"] == mine.vin


def test_receiving_stock_and_a_duplicate_vin_409(api, store_a, admin_a, catalogue):
    suv = catalogue["suv"]
    exterior = suv.colours.get(kind="exterior")
    api.force_authenticate(admin_a)
    vin = make_vin(515_151)
    body = {
        "vin": vin.lower(),
        "trim": suv.pk,
        "exterior": exterior.pk,
        "options": [suv.options.first().pk],
        "status": "in_stock",
        "location": "A区-09",
    }
    created = api.post("/api/v1/stock/", body, format="json")
    assert created.status_code == 201
    assert created.json()["vin"] == vin and created.json()["arrived_on"] == timezone.localdate().isoformat()
    again = api.post("/api/v1/stock/", body, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "vin_in_stock" and again.json()["existing_id"] == created.json()["id"]
    assert StockVehicle.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"vin": "LXYA1B2C"}, "vin", None),
        ({"trim": "foreign"}, None, "brand_not_sold"),
        ({"exterior": "other-colour"}, "exterior", None),
        ({"status": "sold"}, "status", None),
    ],
)
def test_bad_stock_input_is_refused(api, store_a, admin_a, catalogue, change, field, code):
    api.force_authenticate(admin_a)
    body = {"vin": make_vin(616_161), "trim": catalogue["suv"].pk}
    if change.get("trim") == "foreign":
        change = {"trim": catalogue["foreign"].pk}
    if change.get("exterior") == "other-colour":
        change = {"exterior": ColourFactory(trim=catalogue["sedan"]).pk}
    response = api.post("/api/v1/stock/", {**body, **change}, format="json")
    assert response.status_code == 400
    if field:
        assert field in response.json()
    if code:
        assert response.json()["code"] == code
    assert not StockVehicle.objects.exists()


def test_a_consultant_in_two_stores_must_choose_and_may_not_receive(api, store_a, store_b, make_staff, catalogue):
    user = make_staff("consultant", store_a)
    api.force_authenticate(user)
    response = api.post("/api/v1/stock/", {"vin": make_vin(1), "trim": catalogue["suv"].pk}, format="json")
    assert response.status_code == 403


def test_status_moves_and_refusals(api, store_a, consultant, catalogue):
    vehicle = StockVehicleFactory(store=store_a, trim=catalogue["suv"])
    api.force_authenticate(consultant)
    moved = api.post(f"/api/v1/stock/{vehicle.pk}/status/", {"status": "reserved"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "reserved"
    refused = api.post(f"/api/v1/stock/{vehicle.pk}/status/", {"status": "in_transit"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "stock_move_refused"
    assert "cannot become" in refused.json()["detail"]


def test_demo_car_actions(api, store_a, admin_a, catalogue):
    vehicle = StockVehicleFactory(store=store_a, trim=catalogue["suv"])
    api.force_authenticate(admin_a)
    expires = (timezone.localdate() + datetime.timedelta(days=100)).isoformat()
    flagged = api.post(
        f"/api/v1/stock/{vehicle.pk}/demo/", {"plate": "粤BD55555", "insurance_expires_on": expires}, format="json"
    )
    assert flagged.status_code == 200 and flagged.json()["is_demo"] and flagged.json()["plate"] == "粤BD55555"
    # status and odometer are the fleet endpoints' (issue #12.2, decision 0020)
    odometer = api.post(f"/api/v1/demo-cars/{vehicle.pk}/odometer/", {"odometer_km": 120}, format="json")
    assert odometer.json()["odometer_km"] == 120
    down = api.post(f"/api/v1/demo-cars/{vehicle.pk}/odometer/", {"odometer_km": 100, "reason": ""}, format="json")
    assert down.status_code == 400
    retired = api.post(f"/api/v1/demo-cars/{vehicle.pk}/status/", {"demo_status": "retired"}, format="json")
    assert retired.json()["demo_status"] == "retired"
    back = api.post(f"/api/v1/demo-cars/{vehicle.pk}/status/", {"demo_status": "available"}, format="json")
    assert back.status_code == 409 and back.json()["code"] == "demo_move_refused"
