"""Demo cars have one write path (issue #12.2, docs/decisions/0020-demo-cars-one-path.md): status and odometer are
changed only through `testdrives.fleet`, from the fleet page or `/api/v1/demo-cars/`, so leaving service always
flags the coming bookings and every reading lands in the odometer history. The catalogue's copies are gone."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse

from dealerdesk.catalog import services as catalog_services
from dealerdesk.core.errors import TransitionRefused
from dealerdesk.core.models import AuditEntry
from dealerdesk.testdrives import fleet
from dealerdesk.testdrives.models import OdometerReading
from tests.catalog.factories import StockVehicleFactory
from tests.customers.factories import CustomerFactory
from tests.testdrives.factories import DemoCarFactory
from tests.testdrives.helpers import book

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shanghai_clock")]


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def car(store_a):
    return DemoCarFactory(store_a, odometer_km=1000)


@pytest.fixture
def booking(store_a, consultant, car):
    return book(consultant, store_a, CustomerFactory(store=store_a, owner=consultant), car, days=2)


def test_the_catalogue_copies_are_gone():
    assert not hasattr(catalog_services, "demo_car_set_status")
    assert not hasattr(catalog_services, "demo_car_record_odometer")
    for name in ("catalog_demo_car_status", "catalog_demo_car_odometer"):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=[1])


def test_the_old_stock_api_actions_are_gone(api, manager, car):
    api.force_authenticate(manager)
    assert (
        api.post(f"/api/v1/stock/{car.pk}/demo-status/", {"demo_status": "maintenance"}, format="json").status_code
        == 404
    )
    assert api.post(f"/api/v1/stock/{car.pk}/odometer/", {"odometer_km": 1100}, format="json").status_code == 404
    car.refresh_from_db()
    assert (car.demo_status, car.odometer_km) == ("available", 1000)


def test_the_stock_page_of_a_demo_car_links_to_the_fleet_page(client, manager, car):
    client.force_login(manager)
    page = client.get(reverse("catalog_stock_detail", args=[car.pk])).content.decode()
    assert f"{reverse('demo_car_list')}?store={car.store.code}" in page
    assert 'name="demo_status"' not in page and 'name="odometer_km"' not in page


def test_maintenance_from_the_fleet_page_flags_the_coming_bookings(client, manager, car, booking):
    client.force_login(manager)
    response = client.post(reverse("demo_car_status", args=[car.pk]), {"demo_status": "maintenance", "reason": "保养"})
    assert response.status_code == 302
    booking.refresh_from_db()
    car.refresh_from_db()
    assert car.demo_status == "maintenance" and booking.needs_attention


def test_maintenance_from_the_api_flags_the_coming_bookings(api, manager, car, booking):
    api.force_authenticate(manager)
    response = api.post(f"/api/v1/demo-cars/{car.pk}/status/", {"demo_status": "maintenance"}, format="json")
    assert response.status_code == 200 and response.json()["demo_status"] == "maintenance"
    booking.refresh_from_db()
    assert booking.needs_attention
    assert AuditEntry.objects.filter(action="testdrive.flagged", target_id=str(booking.pk)).exists()


def test_a_reading_from_the_fleet_page_is_kept_in_the_odometer_history(client, consultant, car):
    client.force_login(consultant)
    page = client.get(reverse("demo_car_list"), {"store": car.store.code}).content.decode()
    assert f'data-testid="odometer-form-{car.pk}"' in page
    response = client.post(reverse("demo_car_odometer", args=[car.pk]), {"odometer_km": "1042"})
    assert response.status_code == 302
    car.refresh_from_db()
    assert car.odometer_km == 1042
    assert list(OdometerReading.objects.filter(vehicle=car).values_list("km", "source")) == [(1042, "check")]


def test_a_reading_from_the_api_is_kept_in_the_odometer_history(api, consultant, car):
    api.force_authenticate(consultant)
    response = api.post(f"/api/v1/demo-cars/{car.pk}/odometer/", {"odometer_km": 1120}, format="json")
    assert response.status_code == 200 and response.json()["odometer_km"] == 1120
    assert OdometerReading.objects.get(vehicle=car).km == 1120


def test_a_lower_reading_from_the_fleet_page_is_refused_in_the_users_language(client, consultant, car):
    client.force_login(consultant)
    response = client.post(
        reverse("demo_car_odometer", args=[car.pk]), {"odometer_km": "900"}, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("里程表读数不能减少：当前为 1000 公里。" in m for m in messages)
    car.refresh_from_db()
    assert car.odometer_km == 1000 and not OdometerReading.objects.filter(vehicle=car).exists()


def test_the_odometer_never_goes_down_for_a_consultant(consultant, car):
    with pytest.raises(ValidationError) as caught:
        fleet.demo_car_record_odometer(actor=consultant, vehicle=car, odometer_km=999)
    assert "cannot go down: it reads 1000 km" in caught.value.message_dict["odometer_km"][0]
    car.refresh_from_db()
    assert car.odometer_km == 1000


def test_demo_status_moves_and_the_final_retirement(manager, car):
    car = fleet.demo_car_set_status(actor=manager, vehicle=car, demo_status="maintenance")
    car = fleet.demo_car_set_status(actor=manager, vehicle=car, demo_status="available")
    car = fleet.demo_car_set_status(actor=manager, vehicle=car, demo_status="retired")
    with pytest.raises(TransitionRefused) as caught:
        fleet.demo_car_set_status(actor=manager, vehicle=car, demo_status="available")
    assert "retired demo car" in str(caught.value.message) and caught.value.code == "demo_move_refused"


def test_a_plain_stock_vehicle_is_not_a_demo_car(manager, store_a):
    plain = StockVehicleFactory(store=store_a)
    with pytest.raises(TransitionRefused) as caught:
        fleet.demo_car_record_odometer(actor=manager, vehicle=plain, odometer_km=10)
    assert caught.value.code == "not_demo"
