"""UX review fixes on the test-drive pages: the drive's own wording (not the drivetrain), a no-show offered only once
the drive was due, the prepare button held back while something is missing, the recorded licence shown, the fleet's
status form without a pre-selected move, my day as a full page, the customer search of the booking form, the day
picker, full slots on the public page, and the demo car's insurance flagged while preparing."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.testdrives import services
from tests.customers.factories import CustomerFactory
from tests.testdrives.factories import DemoCarFactory, TestDriveFactory
from tests.testdrives.helpers import VALID_LICENCE, at, book, drive_to_completed, licence_consent, route

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def customer(store_a, consultant):
    return CustomerFactory(store=store_a, owner=consultant, name="陈晓明")


@pytest.fixture
def car(store_a):
    return DemoCarFactory(store_a, odometer_km=100)


def _detail(client, td) -> str:
    response = client.get(reverse("testdrive_detail", args=[td.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _tag(html: str, testid: str) -> str:
    """The opening tag carrying data-testid=`testid`."""
    match = re.search(rf'<[^>]*data-testid="{re.escape(testid)}"[^>]*>', html)
    assert match, testid
    return match.group(0)


# ---------------------------------------------------------------- 1. translations


def test_the_drive_is_not_called_the_drivetrain(client, store_a, consultant, customer, car):
    td = drive_to_completed(consultant, book(consultant, store_a, customer, car, consultant=consultant))
    services.feedback_record(actor=consultant, test_drive=td, drive_rating=5, consultant_rating=4, comment="")
    client.force_login(consultant)
    html = _detail(client, td)
    assert 'data-testid="drive-record"' in html and 'data-testid="feedback"' in html
    assert "驱动方式" not in html  # the catalogue's "Drive" (drivetrain)
    assert '<dt class="col-5">试驾</dt><dd class="col-7" data-testid="drive-record">' in html
    assert 'data-testid="feedback">试驾 5/5' in html


def test_the_route_name_field_is_not_a_persons_name(client, store_a, make_staff):
    client.force_login(make_staff("sales_manager", store_a))
    html = client.get(reverse("testdrive_settings", args=[store_a.code])).content.decode()
    assert 'placeholder="路线名称"' in html and 'placeholder="姓名"' not in html


# ---------------------------------------------------------------- 2. cancel and no-show


@pytest.mark.usefixtures("shanghai_clock")
def test_no_show_is_offered_only_once_the_drive_was_due(client, store_a, consultant, customer, car):
    future = book(consultant, store_a, customer, car, consultant=consultant)
    client.force_login(consultant)
    html = _detail(client, future)
    assert 'data-testid="form-cancel"' in html and 'data-testid="form-no-show"' not in html
    assert "data-confirm=" in _tag(html, "form-cancel")

    started = timezone.now() - datetime.timedelta(minutes=20)
    due = TestDriveFactory(customer=customer, demo_car=car, consultant=consultant, status="confirmed", start_at=started)
    html = _detail(client, due)
    assert "data-confirm=" in _tag(html, "form-no-show") and "data-confirm=" in _tag(html, "form-cancel")
    # each form posts its own step with its own reason field
    assert reverse("testdrive_step", args=[due.pk, "no_show"]) in _tag(html, "form-no-show")
    assert reverse("testdrive_step", args=[due.pk, "cancel"]) in _tag(html, "form-cancel")
    assert "formaction=" not in html


# ---------------------------------------------------------------- 3. prepare and the licence card


def test_prepare_is_disabled_until_nothing_is_missing_and_the_recorded_licence_is_shown(
    client, store_a, consultant, customer, car
):
    td = services.testdrive_confirm(
        actor=consultant, test_drive=book(consultant, store_a, customer, car), consultant=consultant
    )
    client.force_login(consultant)
    html = _detail(client, td)
    assert 'data-testid="missing"' in html and " disabled" in _tag(html, "prepare")
    assert 'data-testid="licence-recorded"' not in html

    services.preparation_save(
        actor=consultant,
        test_drive=td,
        clean=True,
        energy_percent=80,
        no_warning_lights=True,
        equipment_present=True,
        route=route(store_a),
    )
    licence_consent(customer)
    services.licence_record(
        actor=consultant,
        test_drive=td,
        number=VALID_LICENCE,
        licence_class="C2",
        expires_on=timezone.localdate() + datetime.timedelta(days=900),
    )
    html = _detail(client, td)
    assert 'data-testid="missing"' not in html and " disabled" not in _tag(html, "prepare")
    recorded = html[html.index('data-testid="licence-recorded"') :]
    assert "C2" in recorded[:300] and VALID_LICENCE not in html
    # the entry form is behind "replace", closed
    replace = _tag(html, "replace-licence")
    assert replace.startswith("<details") and " open" not in replace
    assert html.index('data-testid="replace-licence"') < html.index('data-testid="form-licence"')


# ---------------------------------------------------------------- 4. fleet


def test_fleet_status_form_preselects_nothing_and_refuses_no_change(client, store_a, make_staff, consultant, car):
    manager = make_staff("sales_manager", store_a)
    client.force_login(manager)
    html = client.get(reverse("demo_car_list")).content.decode()
    form = html[html.index(f'data-testid="status-form-{car.pk}"') :]
    form = form[: form.index("</form>")]
    assert re.findall(r"<option [^>]*selected", form) == ['<option value="" selected']
    assert "text-nowrap" in form
    for sent in ("", "available"):  # the placeholder, or the current status
        r = client.post(reverse("demo_car_status", args=[car.pk]), {"demo_status": sent}, follow=True)
        car.refresh_from_db()
        assert car.demo_status == "available"
        assert "alert-danger" in r.content.decode() or "alert-warning" in r.content.decode()


def test_fleet_utilisation_total_counts_the_drives(client, store_a, make_staff, consultant, customer, car):
    other = DemoCarFactory(store_a)
    monday = at(store_a, 0).date()
    monday -= datetime.timedelta(days=monday.weekday())
    for i, vehicle in enumerate((car, car, other)):
        start = datetime.datetime.combine(monday, datetime.time(9 + 2 * i), tzinfo=store_a.tz)
        TestDriveFactory(customer=customer, demo_car=vehicle, status="confirmed", start_at=start)
    client.force_login(make_staff("sales_manager", store_a))
    html = client.get(reverse("demo_car_list"), {"week": monday.isoformat()}).content.decode()
    assert re.search(r'data-testid="total-drives">3<', html)


# ---------------------------------------------------------------- 5. my day


def test_my_day_is_a_full_page_by_url_and_a_fragment_for_htmx(client, store_a, consultant, customer):
    TestDriveFactory(customer=customer, consultant=consultant, start_at=at(store_a, 0, 23, 0))
    client.force_login(consultant)
    page = client.get(reverse("testdrive_my_day")).content.decode()
    assert "<html" in page and 'data-testid="my-day-page"' in page and customer.name in page
    fragment = client.get(reverse("testdrive_my_day"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and customer.name in fragment


# ---------------------------------------------------------------- 6. customer picker


def test_booking_form_searches_customers_and_preselects_one(client, store_a, store_b, consultant, customer, car):
    other_store = CustomerFactory(store=store_b, name="陈晓东")
    client.force_login(consultant)
    page = client.get(reverse("testdrive_new"), {"store": store_a.code}).content.decode()
    assert 'data-testid="customer-search"' in page and '<select id="f-customer"' not in page
    assert 'data-testid="customer-chosen"' not in page

    url = reverse("testdrive_customer_search")
    r = client.post(url, {"store": store_a.code, "customer_q": "陈晓"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and f'name="customer" id="cust-{customer.pk}" value="{customer.pk}"' in html
    assert f'value="{other_store.pk}"' not in html
    assert client.get(url).status_code == 405  # the term is never in a URL

    # the chosen customer stays first and checked whatever is searched next
    r = client.post(url, {"store": store_a.code, "customer_q": "zz", "customer": customer.pk})
    assert re.search(rf'data-testid="customer-chosen"><input [^>]*value="{customer.pk}" checked', r.content.decode())

    page = client.get(reverse("testdrive_new"), {"store": store_a.code, "customer": customer.pk}).content.decode()
    assert re.search(rf'data-testid="customer-chosen"><input [^>]*value="{customer.pk}" checked', page)
    page = client.get(reverse("testdrive_new"), {"store": store_a.code, "customer": other_store.pk}).content.decode()
    assert 'data-testid="customer-chosen"' not in page  # not of this store

    day = at(store_a, 1).date().isoformat()
    data = {"store": store_a.code, "customer": customer.pk, "demo_car": car.pk, "day": day, "start_time": "10:00"}
    r = client.post(reverse("testdrive_new"), data)
    assert r.status_code == 302


def test_customers_beyond_the_newest_200_can_be_booked(client, store_a, consultant, car):
    oldest = CustomerFactory(store=store_a, owner=consultant, name="欧阳青")
    CustomerFactory.create_batch(201, store=store_a, owner=consultant)
    client.force_login(consultant)
    r = client.post(reverse("testdrive_customer_search"), {"store": store_a.code, "customer_q": "欧阳青"})
    assert f'value="{oldest.pk}"' in r.content.decode()


# ---------------------------------------------------------------- 7. day view


def test_day_view_has_a_date_picker_and_full_tooltips(client, store_a, consultant, customer, car):
    td = book(consultant, store_a, customer, car, consultant=consultant)
    client.force_login(consultant)
    day = at(store_a, 1).date().isoformat()
    html = client.get(reverse("testdrive_day"), {"day": day}).content.decode()
    picker = html[html.index('data-testid="day-picker"') :]
    picker = picker[: picker.index("</form>")]
    assert f'type="date" name="day" class="form-control form-control-sm" value="{day}"' in picker
    assert 'type="submit"' in picker and f'name="store" value="{store_a.code}"' in picker
    bar = _tag(html, f"bar-{td.pk}")
    assert customer.name in bar and car.plate in bar and td.get_status_display() in bar
    ticks = re.findall(r'<span [^>]*data-testid="tick"[^>]*>', html)
    assert "translateX(-100%)" in ticks[-1] and "translateX(-100%)" not in ticks[0]


# ---------------------------------------------------------------- 8. public booking page


def test_public_page_marks_full_slots_and_keeps_the_consent(client, store_a, consultant, customer, car):
    book(consultant, store_a, customer, car, hour=15)
    day = at(store_a, 1).date().isoformat()
    slots = client.get(
        reverse("testdrive_public_slots", args=[store_a.code]), {"series": car.trim.series_id, "day": day}
    ).content.decode()
    full = _tag(slots, "slot-15:00")
    assert "data-full" in full and "text-decoration-line-through" in full
    assert "data-full" not in _tag(slots, "slot-10:00")
    assert 'data-testid="slots-legend"' in slots and "已约满" in slots

    url = reverse("testdrive_public_book", args=[store_a.code])
    data = {"series": car.trim.series_id, "day": day, "start": at(store_a, 1, 10).isoformat(), "notice": "on"}
    r = client.post(url, {**data, "name": "", "mobile": "123"})
    assert r.status_code == 400
    assert " checked" in _tag(r.content.decode(), "public-notice")


def test_public_success_message_is_one_sentence(client, store_a, car):
    url = reverse("testdrive_public_book", args=[store_a.code])
    data = {
        "series": car.trim.series_id,
        "day": at(store_a, 1).date().isoformat(),
        "start": at(store_a, 1, 11).isoformat(),
        "name": "赵六",
        "mobile": "13912345679",
        "notice": "on",
    }
    html = client.post(url, data).content.decode()
    alert = html[html.index('data-testid="public-booked"') :]
    alert = re.sub(r"\s+", " ", alert[alert.index(">") + 1 : alert.index("</div>")]).strip()
    start = at(store_a, 1, 11).strftime("%Y-%m-%d %H:%M")
    assert re.fullmatch(rf"[^.]*SJ\d{{6}}[^.]*{start}[^.]*。", alert) or re.fullmatch(
        rf"[^.]*{start}[^.]*SJ\d{{6}}[^.]*。", alert
    ), alert


# ---------------------------------------------------------------- 9. insurance on the booking page


def test_insurance_expiring_soon_is_flagged_on_the_booking(client, store_a, consultant, customer):
    car = DemoCarFactory(store_a, insurance_expires_on=at(store_a, 20).date())
    td = book(consultant, store_a, customer, car, consultant=consultant)
    client.force_login(consultant)
    checklist = _detail(client, td)
    checklist = checklist[checklist.index('data-testid="form-checklist"') :]
    alert = _tag(checklist, "insurance-alert")
    assert "text-warning-emphasis" in alert or "text-danger" in alert
    fine = DemoCarFactory(store_a, insurance_expires_on=at(store_a, 200).date())
    other = book(consultant, store_a, customer, fine, consultant=consultant, hour=14)
    assert 'data-testid="insurance-alert"' not in _detail(client, other)
