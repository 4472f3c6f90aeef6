"""Reception (issue #10.11): the rotation counts only consultants who came to work; today's test drives and
handovers are listed to check the customers in; "Left" asks first; the desk fits a phone."""

import datetime

import pytest
from django.urls import reverse

from dealerdesk.showroom import selectors
from dealerdesk.showroom.choices import VisitKind, VisitStatus
from dealerdesk.showroom.models import Visit
from dealerdesk.testdrives import services as testdrive_services
from tests.clock import pinned_at, shanghai
from tests.customers.factories import CustomerFactory
from tests.deliveries.factories import booked
from tests.showroom.conftest import at_work
from tests.testdrives.factories import DemoCarFactory

pytestmark = pytest.mark.django_db

MORNING = shanghai(2026, 12, 31, 8, 30)


def _at(hour: int, minute: int = 0) -> datetime.datetime:
    return MORNING.replace(hour=hour, minute=minute)


@pinned_at(MORNING)
def test_a_consultant_who_has_not_come_in_is_not_next_up(shanghai_clock, store_a, make_staff, consultant):
    # given one consultant who logged in this morning and one who has not come in today
    absent_minded = make_staff("consultant", store_a, full_name="钱多")
    # when reception looks at the rotation
    states = {e.consultant: e.state for e in selectors.rotation_for(store_a)}
    # then only the one at work is free; the other waits at the bottom, not at the top for having served nobody
    assert states == {consultant: "free", absent_minded: "not_in"}
    assert selectors.next_up(store_a) == consultant
    # once they log in, they join the rotation
    at_work(absent_minded)
    assert {e.consultant: e.state for e in selectors.rotation_for(store_a)}[absent_minded] == "free"


@pinned_at(MORNING)
def test_reception_marks_a_consultant_without_an_account_session_present(
    shanghai_clock, client, store_a, receptionist, make_staff
):
    walk_in_consultant = make_staff("consultant", store_a, full_name="孙丽")
    client.force_login(receptionist)
    response = client.post(
        reverse("presence_set"), {"store": store_a.code, "consultant": walk_in_consultant.pk, "absent": "0"}
    )
    assert response.status_code == 302
    assert {e.consultant: e.state for e in selectors.rotation_for(store_a)}[walk_in_consultant] == "free"


@pinned_at(MORNING)
def test_todays_test_drives_and_handovers_are_checked_in_from_the_desk(
    shanghai_clock, client, store_a, receptionist, consultant, django_assert_max_num_queries
):
    # given a test drive at 10:00 and a handover at 15:00 today, and a drive tomorrow
    driver = CustomerFactory(store=store_a, owner=consultant, name="陈晓明")
    car = DemoCarFactory(store_a)
    testdrive_services.testdrive_book(
        actor=consultant, store=store_a, customer=driver, demo_car=car, consultant=consultant, start=_at(10)
    )
    testdrive_services.testdrive_book(
        actor=consultant,
        store=store_a,
        customer=CustomerFactory(store=store_a, owner=consultant),
        demo_car=car,
        start=_at(10) + datetime.timedelta(days=1),
    )
    handover = booked(store_a, consultant, when=_at(15))
    client.force_login(receptionist)
    # when reception opens the desk
    with django_assert_max_num_queries(30):
        page = client.get(f"{reverse('reception_desk')}?store={store_a.code}")
    html = page.content.decode()
    # then both of today's appointments are listed, by time, each with a check-in button
    rows = selectors.appointments_today(store_a)
    assert [(r.appointment.kind, r.appointment.customer) for r in rows] == [
        ("test_drive", driver),
        ("delivery", handover.customer),
    ]
    assert html.count('data-testid="appointment"') == 2 and html.count('data-testid="check-in"') == 2
    # when the test-drive customer arrives and is checked in
    response = client.post(reverse("visit_check_in"), {"store": store_a.code, "customer": driver.pk})
    assert response.status_code == 302
    # then an appointment visit is logged for them and handed to their consultant, and the desk shows them arrived
    visit = Visit.objects.get(customer=driver)
    assert visit.kind == VisitKind.APPOINTMENT
    assert (visit.status, visit.consultant) == (VisitStatus.WITH_CONSULTANT, consultant)
    assert selectors.appointments_today(store_a)[0].arrived_at == visit.arrived_at
    html = client.get(f"{reverse('reception_live')}?store={store_a.code}").content.decode()
    assert html.count('data-testid="appointment-arrived"') == 1
    # a customer not expected today cannot be checked in from here
    stranger = CustomerFactory(store=store_a)
    assert client.post(reverse("visit_check_in"), {"store": store_a.code, "customer": stranger.pk}).status_code == 404


@pinned_at(MORNING)
def test_left_asks_first_and_the_served_table_scrolls_on_a_phone(
    shanghai_clock, client, store_a, receptionist, consultant
):
    from dealerdesk.showroom import services

    visit = services.visit_arrive(actor=receptionist, store=store_a)
    services.visit_arrive(actor=receptionist, store=store_a)
    services.visit_assign(actor=receptionist, visit=visit, consultant=consultant)
    client.force_login(receptionist)
    html = client.get(f"{reverse('reception_live')}?store={store_a.code}").content.decode()
    assert html.count('data-testid="visit-left"') == 2
    assert html.count('data-confirm="确认该客户已离店？"') == 2
    assert '<div class="table-responsive">' in html
