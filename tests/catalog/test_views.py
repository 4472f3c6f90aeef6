"""Catalogue and stock pages: what each role sees, scoping (another store's stock is not found), the forms'
errors, and a fixed number of queries on every list and detail page."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.catalog import views
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

MAX_QUERIES = 14


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, language="en")


@pytest.fixture
def admin_a(store_a, make_staff):
    return make_staff("store_admin", store_a, language="en")


@pytest.fixture
def catalogue(store_a):
    """Two series of the store's brand (a BEV SUV and an ICE sedan), a trim of a brand it does not sell."""
    suv = TrimFactory(series=SeriesFactory(name="星辰X5"), name="长续航版", msrp=Decimal("199800"))
    sedan = TrimFactory(
        series=SeriesFactory(name="星辰S3", body_type="sedan"),
        name="1.5T 舒适版",
        energy_type="ice",
        electric_range_km=None,
        fuel_l_per_100km=Decimal("6.1"),
        msrp=Decimal("109800"),
    )
    foreign = TrimFactory(series__brand=BrandFactory(code="qingfeng", name="青峰"), name="青峰专属版")
    MarkedPriceFactory(store=store_a, trim=suv, price=Decimal("189800"))
    ColourFactory(trim=suv, name="星河白", kind="exterior")
    ColourFactory(trim=suv, name="熔岩红", kind="exterior", extra_price=Decimal("3000"))
    ColourFactory(trim=suv, name="曜黑内饰", kind="interior")
    OptionFactory(trim=suv, name="高阶智驾包", is_package=True, contents=["激光雷达"])
    return {"suv": suv, "sedan": sedan, "foreign": foreign}


# ---------------------------------------------------------------- catalogue


def test_catalogue_shows_the_stores_trims_with_marked_price(
    client, consultant, catalogue, django_assert_max_num_queries
):
    # given stock of the SUV
    StockVehicleFactory.create_batch(2, store=consultant.memberships.first().store, trim=catalogue["suv"])
    client.force_login(consultant)
    # when the catalogue is opened
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(reverse("catalog_home"))
    # then the store's brands, marked price and MSRP; not the brand it does not sell
    html = response.content.decode()
    assert response.status_code == 200
    assert "星辰X5" in html and "¥189,800" in html and "¥199,800" in html and "¥109,800*" in html
    assert "青峰专属版" not in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("energy_type=ice", "1.5T 舒适版", "长续航版"),
        ("body_type=suv", "长续航版", "1.5T 舒适版"),
        ("price_min=15", "长续航版", "1.5T 舒适版"),
        ("price_max=12.5", "1.5T 舒适版", "长续航版"),
    ],
)
def test_catalogue_filters(client, consultant, catalogue, query, shown, hidden):
    client.force_login(consultant)
    html = client.get(f"{reverse('catalog_home')}?{query}").content.decode()
    assert shown in html and hidden not in html


def test_catalogue_price_range_upside_down_is_explained(client, consultant, catalogue):
    client.force_login(consultant)
    response = client.get(f"{reverse('catalog_home')}?price_min=20&price_max=10")
    assert "The highest price must not be below the lowest." in response.content.decode()


def test_trim_detail_shows_specs_colours_options_history_and_stock(
    client, store_a, store_b, consultant, catalogue, django_assert_max_num_queries
):
    # given stock of the SUV in both stores
    suv = catalogue["suv"]
    mine = StockVehicleFactory(store=store_a, trim=suv)
    theirs = StockVehicleFactory(store=store_b, trim=suv)
    client.force_login(consultant)
    # when its card is opened
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(reverse("catalog_trim_detail", args=[suv.pk]))
    # then specs, colours with extra price, package contents, price history, own stock only; no price form
    html = response.content.decode()
    assert response.status_code == 200
    assert "600 km" in html and "熔岩红" in html and "+¥3,000" in html and "激光雷达" in html
    assert "¥189,800" in html and mine.vin in html and theirs.vin not in html
    assert 'data-testid="price-form"' not in html


def test_trim_detail_of_an_unknown_trim_is_not_found(client, consultant):
    client.force_login(consultant)
    assert client.get(reverse("catalog_trim_detail", args=[999_999])).status_code == 404


def test_a_store_admin_sets_the_marked_price(client, store_a, admin_a, catalogue):
    client.force_login(admin_a)
    suv = catalogue["suv"]
    page = client.get(reverse("catalog_trim_detail", args=[suv.pk])).content.decode()
    assert 'data-testid="price-form"' in page
    response = client.post(
        reverse("catalog_marked_price_set", args=[suv.pk]), {"store": store_a.code, "price": "185,800", "note": "促销"}
    )
    assert response.status_code == 302
    assert MarkedPrice.objects.filter(store=store_a, trim=suv).order_by("-valid_from").first().price == Decimal(
        "185800"
    )


@pytest.mark.parametrize(
    ("trim_key", "price", "words"), [("suv", "-100", "more than zero"), ("foreign", "100000", "does not sell 青峰")]
)
def test_a_bad_marked_price_is_shown_on_the_form(client, store_a, admin_a, catalogue, trim_key, price, words):
    client.force_login(admin_a)
    before = MarkedPrice.objects.count()
    response = client.post(
        reverse("catalog_marked_price_set", args=[catalogue[trim_key].pk]), {"store": store_a.code, "price": price}
    )
    assert response.status_code == 400
    assert words in response.content.decode()
    assert MarkedPrice.objects.count() == before


def test_a_consultant_cannot_set_prices(client, store_a, consultant, catalogue):
    client.force_login(consultant)
    response = client.post(
        reverse("catalog_marked_price_set", args=[catalogue["suv"].pk]), {"store": store_a.code, "price": "1000"}
    )
    assert response.status_code == 400
    assert "You do not have permission" in response.content.decode()


# ---------------------------------------------------------------- stock


def test_stock_list_is_scoped_filtered_and_paged(
    client, store_a, store_b, consultant, catalogue, monkeypatch, django_assert_max_num_queries
):
    # given 3 vehicles in A (one reserved, one a demo car) and one in B
    suv = catalogue["suv"]
    in_stock = StockVehicleFactory(store=store_a, trim=suv)
    reserved = StockVehicleFactory(store=store_a, trim=suv, status="reserved")
    demo = StockVehicleFactory(store=store_a, trim=suv, is_demo=True)
    other = StockVehicleFactory(store=store_b, trim=suv)
    client.force_login(consultant)
    # when the list is opened
    with django_assert_max_num_queries(MAX_QUERIES):
        html = client.get(reverse("catalog_stock_list")).content.decode()
    # then only store A's vehicles
    assert all(v.vin in html for v in (in_stock, reserved, demo)) and other.vin not in html
    # and the filters narrow it
    html = client.get(reverse("catalog_stock_list"), {"status": "reserved"}).content.decode()
    assert reserved.vin in html and in_stock.vin not in html
    html = client.get(reverse("catalog_stock_list"), {"demo": "1"}).content.decode()
    assert demo.vin in html and in_stock.vin not in html
    # and pages follow the cursor
    monkeypatch.setattr(views, "LIST_SIZE", 2)
    first = client.get(reverse("catalog_stock_list"))
    assert [v.pk for v in first.context["page"].items] == [demo.pk, reserved.pk]
    second = client.get(reverse("catalog_stock_list"), {"after": first.context["page"].next_cursor})
    assert [v.pk for v in second.context["page"].items] == [in_stock.pk]


def test_another_stores_vehicle_is_not_found(client, store_b, consultant, catalogue):
    theirs = StockVehicleFactory(store=store_b, trim=catalogue["suv"])
    client.force_login(consultant)
    assert client.get(reverse("catalog_stock_detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("catalog_stock_status", args=[theirs.pk]), {"status": "reserved"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "in_stock"


def test_stock_detail_offers_the_allowed_moves_and_moves(
    client, store_a, consultant, catalogue, django_assert_max_num_queries
):
    vehicle = StockVehicleFactory(store=store_a, trim=catalogue["suv"], options=[OptionFactory(trim=catalogue["suv"])])
    client.force_login(consultant)
    with django_assert_max_num_queries(MAX_QUERIES):
        html = client.get(reverse("catalog_stock_detail", args=[vehicle.pk])).content.decode()
    assert 'data-testid="move-reserved"' in html and 'data-testid="move-delivered"' not in html
    assert 'data-testid="flag-form"' not in html  # consultants do not make demo cars
    response = client.post(reverse("catalog_stock_status", args=[vehicle.pk]), {"status": "reserved"}, follow=True)
    vehicle.refresh_from_db()
    assert vehicle.status == "reserved" and "The vehicle is now" in response.content.decode()
    response = client.post(reverse("catalog_stock_status", args=[vehicle.pk]), {"status": "in_transit"}, follow=True)
    assert "cannot become" in response.content.decode()


def test_receiving_a_vehicle_through_the_form(client, store_a, admin_a, catalogue):
    suv = catalogue["suv"]
    white = suv.colours.get(name="星河白")
    client.force_login(admin_a)
    # the form with the trim's colours (what htmx reloads when the trim changes)
    page = client.get(reverse("catalog_stock_receive"), {"trim": suv.pk}).content.decode()
    assert "星河白" in page and "高阶智驾包" in page
    vin = make_vin(424_242)
    response = client.post(
        reverse("catalog_stock_receive"),
        {
            "store": store_a.code,
            "vin": vin,
            "trim": suv.pk,
            "exterior": white.pk,
            "status": "in_transit",
            "certificate_holder": "lender",
        },
    )
    vehicle = StockVehicle.objects.get(vin=vin)
    assert response.status_code == 302 and response.url == reverse("catalog_stock_detail", args=[vehicle.pk])
    assert vehicle.exterior == white and vehicle.certificate_holder == "lender"
    # the same VIN again is refused on the VIN field
    response = client.post(
        reverse("catalog_stock_receive"),
        {"store": store_a.code, "vin": vin, "trim": suv.pk, "status": "in_stock", "certificate_holder": "store"},
    )
    assert response.status_code == 400 and "already in this store&#x27;s stock" in response.content.decode()
    # a trim of a brand the store does not sell is refused with the brand's name
    response = client.post(
        reverse("catalog_stock_receive"),
        {
            "store": store_a.code,
            "vin": make_vin(424_243),
            "trim": catalogue["foreign"].pk,
            "status": "in_stock",
            "certificate_holder": "store",
        },
    )
    assert response.status_code == 400 and "does not sell 青峰" in response.content.decode()
    assert StockVehicle.objects.count() == 1


def test_consultants_do_not_receive_stock(client, consultant):
    client.force_login(consultant)
    assert client.get(reverse("catalog_stock_receive")).status_code == 404


def test_making_a_demo_car_and_recording_its_odometer(client, store_a, admin_a, catalogue):
    vehicle = StockVehicleFactory(store=store_a, trim=catalogue["suv"])
    client.force_login(admin_a)
    expires = (timezone.localdate() + datetime.timedelta(days=200)).isoformat()
    bad = client.post(
        reverse("catalog_demo_car_flag", args=[vehicle.pk]),
        {"plate": "粤B1", "insurance_expires_on": expires, "demo_status": "available"},
    )
    assert bad.status_code == 400 and "licence plate" in bad.content.decode()
    good = client.post(
        reverse("catalog_demo_car_flag", args=[vehicle.pk]),
        {"plate": "粤bd66666", "insurance_expires_on": expires, "odometer_km": "100", "demo_status": "available"},
    )
    assert good.status_code == 302
    # status and odometer are the fleet page's (issue #12.2): the stock page links there
    assert reverse("demo_car_list") in client.get(reverse("catalog_stock_detail", args=[vehicle.pk])).content.decode()
    down = client.post(reverse("demo_car_odometer", args=[vehicle.pk]), {"odometer_km": "50"}, follow=True)
    # the store admin manages the fleet, so a lower reading is a correction, which needs its reason
    assert any("reason for correcting" in str(m) for m in down.context["messages"])
    client.post(reverse("demo_car_status", args=[vehicle.pk]), {"demo_status": "maintenance"})
    vehicle.refresh_from_db()
    assert (vehicle.plate, vehicle.odometer_km, vehicle.demo_status) == ("粤BD66666", 100, "maintenance")


def test_demo_cars_warn_about_insurance_expiring_within_30_days(
    client, store_a, store_b, consultant, catalogue, django_assert_max_num_queries
):
    today = timezone.localdate()
    soon = StockVehicleFactory(
        store=store_a, trim=catalogue["suv"], is_demo=True, insurance_expires_on=today + datetime.timedelta(days=20)
    )
    later = StockVehicleFactory(
        store=store_a, trim=catalogue["suv"], is_demo=True, insurance_expires_on=today + datetime.timedelta(days=90)
    )
    theirs = StockVehicleFactory(store=store_b, trim=catalogue["suv"], is_demo=True)
    client.force_login(consultant)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(reverse("catalog_demo_car_list"))
    rows = {row["car"].pk: row for row in response.context["rows"]}
    assert set(rows) == {soon.pk, later.pk} and theirs.plate not in response.content.decode()
    assert rows[soon.pk]["insurance_warning"] and not rows[later.pk]["insurance_warning"]
    assert response.content.decode().count('data-testid="insurance-warning"') == 1
