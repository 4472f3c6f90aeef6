"""Registration pages: the tracker, overdue list, opening, the case with its forms, printing; refused moves shown."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.registrations.choices import DocumentKind, RegistrationStatus
from dealerdesk.registrations.models import Registration
from dealerdesk.registrations.workdays import calendar_covers
from tests.catalog.factories import StockVehicleFactory
from tests.registrations.helpers import registration_at
from tests.sales.factories import OrderFactory

pytestmark = pytest.mark.django_db
S = RegistrationStatus
K = DocumentKind


def logged_in(client, user):
    client.force_login(user)
    return client


def test_the_tracker_lists_open_cases_with_overdue_highlighted(
    client, store_a, clerk, consultant, django_assert_max_num_queries
):
    for status in (S.COLLECTING_DOCUMENTS, S.SUBMITTED, S.PLATE_ISSUED, S.COMPLETED):
        registration_at(clerk, OrderFactory(store=store_a, consultant=consultant), status)
    late = Registration.objects.get(status=S.SUBMITTED)
    Registration.objects.filter(pk=late.pk).update(target_on=timezone.localdate() - datetime.timedelta(days=2))
    c = logged_in(client, clerk)
    with django_assert_max_num_queries(12):
        response = c.get(reverse("registration_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="registration-status"') == 3  # completed is not open
    assert html.count('data-overdue="1"') == 1 and late.number in html
    # the overdue list shows only the late one; filters work
    response = c.get(reverse("registration_overdue"))
    assert response.content.decode().count('data-testid="registration-status"') == 1
    response = c.get(reverse("registration_list"), {"status": "completed"})
    assert response.content.decode().count('data-testid="registration-status"') == 1
    response = c.get(reverse("registration_list"), {"q": late.number, "store": store_a.code})
    assert response.content.decode().count('data-testid="registration-status"') == 1


def test_the_tracker_query_count_does_not_grow_with_rows(
    client, store_a, clerk, consultant, django_assert_max_num_queries
):
    for _ in range(12):
        registration_at(clerk, OrderFactory(store=store_a, consultant=consultant), S.COLLECTING_DOCUMENTS)
    c = logged_in(client, clerk)
    with django_assert_max_num_queries(12):
        response = c.get(reverse("registration_list"))
    assert response.content.decode().count('data-testid="registration-status"') == 12


def test_the_tracker_is_empty_and_closed_to_other_roles(client, store_a, clerk, make_staff):
    response = logged_in(client, clerk).get(reverse("registration_list"))
    assert "没有未完成的上牌。" in response.content.decode()
    assert logged_in(client, make_staff("receptionist", store_a)).get(reverse("registration_list")).status_code == 403


def test_the_clerk_opens_a_registration_from_the_page(client, clerk, order):
    c = logged_in(client, clerk)
    response = c.get(reverse("registration_open"), {"order": order.pk})
    assert response.status_code == 200 and order.number in response.content.decode()
    response = c.post(reverse("registration_open"), {"order": order.pk, "owner_kind": "individual", "local": ""})
    registration = Registration.objects.get(order=order)
    assert response.status_code == 302 and response.url == reverse("registration_detail", args=[registration.pk])
    # a company without its name is shown under the field
    other = OrderFactory(store=order.store, consultant=order.consultant)
    response = c.post(reverse("registration_open"), {"order": other.pk, "owner_kind": "company"})
    assert response.status_code == 400 and 'data-testid="error-company_name"' in response.content.decode()


def test_the_case_page_collects_submits_records_the_plate_and_completes(
    client, clerk, order, django_assert_max_num_queries
):
    registration = registration_at(clerk, order, S.COLLECTING_DOCUMENTS)
    c = logged_in(client, clerk)
    url = reverse("registration_detail", args=[registration.pk])
    with django_assert_max_num_queries(14):
        response = c.get(url)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="receive-owner_id"' in html
    assert 'data-testid="plate-form"' not in html and 'data-testid="complete-form"' not in html
    # submitting too early is refused with the missing documents
    response = c.post(reverse("registration_submit", args=[registration.pk]), {"office": ""}, follow=True)
    assert "资料尚未收齐" in response.content.decode()
    # receive every document, the second time of one is refused
    for doc in registration.documents.all():
        response = c.post(
            reverse("registration_receive", args=[registration.pk]),
            {"kind": doc.kind, f"{doc.kind}-kind": doc.kind, f"{doc.kind}-holder": "customer", f"{doc.kind}-note": ""},
        )
        assert response.status_code == 302
    response = c.post(
        reverse("registration_receive", args=[registration.pk]),
        {"kind": "owner_id", "owner_id-kind": "owner_id", "owner_id-holder": "store"},
        follow=True,
    )
    assert "登记为已收到" in response.content.decode()
    c.post(reverse("registration_submit", args=[registration.pk]), {"office": "深圳市车管所"})
    # a wrong plate is shown under the field
    response = c.post(
        reverse("registration_plate", args=[registration.pk]),
        {"plate": "粤B12", "licence_issued_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400 and 'data-testid="error-plate"' in response.content.decode()
    response = c.post(
        reverse("registration_plate", args=[registration.pk]),
        {"plate": "粤BD54321", "licence_issued_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    response = c.post(reverse("registration_complete", args=[registration.pk]), follow=True)
    assert 'data-testid="plate">粤BD54321' in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == S.COMPLETED


def test_a_used_plate_is_shown_as_a_clash_on_the_form(client, store_a, clerk, order):
    StockVehicleFactory(store=store_a, is_demo=True, plate="粤B77777")
    registration = registration_at(clerk, order, S.SUBMITTED)
    response = logged_in(client, clerk).post(
        reverse("registration_plate", args=[registration.pk]),
        {"plate": "粤B77777", "licence_issued_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 409 and "已登记在其他车辆上" in response.content.decode()


def test_the_consultant_sees_the_case_without_clerk_actions(client, clerk, consultant, order):
    registration = registration_at(clerk, order, S.SUBMITTED)
    html = logged_in(client, consultant).get(reverse("registration_detail", args=[registration.pk])).content.decode()
    assert 'data-testid="plate-form"' not in html and 'data-testid="submit-form"' not in html
    response = client.post(
        reverse("registration_plate", args=[registration.pk]),
        {"plate": "粤B12345", "licence_issued_on": timezone.localdate().isoformat()},
        follow=True,
    )
    assert "只有本店上牌专员可以执行此操作" in response.content.decode()


def test_the_id_number_is_masked(client, clerk, order):
    order.customer.id_number = "110101199003074514"
    order.customer.save(update_fields=["id_number"])
    registration = registration_at(clerk, order, S.COLLECTING_DOCUMENTS)
    html = logged_in(client, clerk).get(reverse("registration_detail", args=[registration.pk])).content.decode()
    assert "1101**********4514" in html and "110101199003074514" not in html
    html = client.get(reverse("registration_print", args=[registration.pk])).content.decode()
    assert "1101**********4514" in html and "110101199003074514" not in html


def test_another_stores_case_is_not_found(client, store_b, make_staff, clerk, order):
    registration = registration_at(clerk, order, S.COLLECTING_DOCUMENTS)
    other = logged_in(client, make_staff("admin_clerk", store_b))
    assert other.get(reverse("registration_detail", args=[registration.pk])).status_code == 404
    assert other.post(reverse("registration_complete", args=[registration.pk])).status_code == 404


def test_the_print_view_and_pdf(client, clerk, order, django_assert_max_num_queries):
    registration = registration_at(clerk, order, S.COLLECTING_DOCUMENTS)
    c = logged_in(client, clerk)
    with django_assert_max_num_queries(10):
        response = c.get(reverse("registration_print", args=[registration.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "registrations/print.css" in html and "data-print" in html
    assert str(K.COMPULSORY_INSURANCE.label) in html
    response = c.get(reverse("registration_checklist_pdf", args=[registration.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_a_registration_by_the_customer_from_the_page(client, consultant, order):
    c = logged_in(client, consultant)
    c.post(reverse("registration_open"), {"order": order.pk, "by_customer": "on", "owner_kind": "individual"})
    registration = Registration.objects.get(order=order)
    html = c.get(reverse("registration_detail", args=[registration.pk])).content.decode()
    assert 'data-testid="by-customer-note"' in html and 'data-testid="plate-form"' in html
    response = c.post(
        reverse("registration_plate", args=[registration.pk]),
        {"plate": "粤BF00001", "licence_issued_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == S.COMPLETED


def test_the_store_admin_sets_the_target_and_others_cannot(client, store_a, make_staff, clerk):
    admin = make_staff("store_admin", store_a)
    c = logged_in(client, admin)
    html = c.get(reverse("registration_list")).content.decode()
    assert reverse("registration_settings", args=[store_a.code]) in html
    response = c.post(reverse("registration_settings", args=[store_a.code]), {"target_working_days": "0"})
    assert response.status_code == 400 and 'data-testid="error-target_working_days"' in response.content.decode()
    response = c.post(reverse("registration_settings", args=[store_a.code]), {"target_working_days": "10"})
    assert response.status_code == 302
    from dealerdesk.registrations.selectors import registration_policy_for

    assert registration_policy_for(store_a).target_working_days == 10
    assert logged_in(client, clerk).get(reverse("registration_settings", args=[store_a.code])).status_code == 404


def test_the_tracker_says_when_a_years_holiday_calendar_is_not_known(client, clerk):
    response = logged_in(client, clerk).get(reverse("registration_list"))
    missing = response.context["calendar_missing_year"]
    this_year = timezone.localdate().year
    expected = next((y for y in (this_year, this_year + 1) if not calendar_covers(y)), None)
    assert missing == expected
    note = response.content.decode().split('data-testid="workday-note"')[1].split("</p>")[0]
    assert (str(missing) in note) is (missing is not None)


def test_the_owner_id_row_takes_the_number_from_the_card(client, clerk, order):
    registration = registration_at(clerk, order, S.COLLECTING_DOCUMENTS)
    c = logged_in(client, clerk)
    url = reverse("registration_detail", args=[registration.pk])
    form = c.get(url).content.decode().split('data-testid="receive-owner_id"')[1].split("</form>")[0]
    assert 'name="owner_id-id_number"' in form
    data = {"kind": "owner_id", "owner_id-kind": "owner_id", "owner_id-holder": "customer", "owner_id-note": ""}
    bad = c.post(reverse("registration_receive", args=[registration.pk]), {**data, "owner_id-id_number": "123"})
    assert bad.status_code == 400 and 'data-testid="error-id_number"' in bad.content.decode()
    assert registration.documents.get(kind="owner_id").received_at is None  # nothing half-written
    good = c.post(
        reverse("registration_receive", args=[registration.pk]), {**data, "owner_id-id_number": "11010519491231002X"}
    )
    assert good.status_code == 302
    order.customer.refresh_from_db()
    assert order.customer.id_number == "11010519491231002X"
    page = c.get(url).content.decode()
    assert "1101" in page and "11010519491231002X" not in page  # shown masked from now on
