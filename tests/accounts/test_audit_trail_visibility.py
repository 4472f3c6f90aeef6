"""The store's audit trail shows each change through the one field-visibility policy (customers.visibility, through
the core.audit_display registry): mobiles and ID numbers masked for everyone, customer fields only to the roles the
policy shows them to."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerdesk.core import audit_display
from dealerdesk.core.audit import audit_record
from dealerdesk.core.models import AuditEntry
from dealerdesk.customers import services
from dealerdesk.customers.models import FollowUp

pytestmark = pytest.mark.django_db

OLD_MOBILE, OLD_MASKED = "13800138000", "138****8000"
NEW_MOBILE, NEW_MASKED = "13912345678", "139****5678"
ID = "11010519491231002X"
PRIVATE = {"notes": "NOTEMARK", "employer": "EMPMARK", "city": "CITYMARK", "birthday": "1949-12-31"}


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a)


@pytest.fixture
def customer(store_a, consultant, manager):
    """A customer registered with every private field, whose mobile was then changed by the manager."""
    customer = services.customer_create(
        actor=consultant,
        store=store_a,
        name="甄秘密",
        mobile=OLD_MOBILE,
        id_number=ID,
        city=PRIVATE["city"],
        notes=PRIVATE["notes"],
        employer=PRIVATE["employer"],
    )
    return services.customer_update(actor=manager, customer=customer, mobile=NEW_MOBILE)


def _page(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("audit_list"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_manager_sees_only_masked_mobiles_after_a_customers_mobile_changed(client, manager, customer):
    # given a customer registered with a mobile and an ID number, whose mobile the manager then changed
    assert AuditEntry.objects.filter(action="customer.updated", diff__has_key="mobile").exists()

    # when the manager opens the store's audit trail
    html = _page(client, manager)

    # then the change and the registration show the old and the new mobile masked, never in full
    assert f"{OLD_MASKED} → {NEW_MASKED}" in html
    for full in (OLD_MOBILE, NEW_MOBILE, "+86" + OLD_MOBILE, "+86" + NEW_MOBILE, ID, ID[:6], ID[-4:]):
        assert full not in html, full
    # and what the policy shows a manager is still there (the page is not blanked)
    assert "甄秘密" in html and PRIVATE["notes"] in html and PRIVATE["employer"] in html


def test_reception_sees_no_customer_private_field_of_the_trail(client, store_a, make_staff, customer):
    reception = make_staff("receptionist", store_a)

    # the page lists nothing to reception (the store's trail is for managers and administrators) ...
    html = _page(client, reception)
    for text in (*PRIVATE.values(), OLD_MASKED, NEW_MASKED, OLD_MOBILE, NEW_MOBILE, ID):
        assert text not in html, text

    # ... and the display itself, asked for reception, keeps only the reduced card of the customer's changes
    for entry in AuditEntry.objects.filter(target_type="customers.customer"):
        shown = audit_display.shown_diff(reception, entry)
        assert set(shown) <= {"name", "owner", "intent_grade", "mobile"}, (entry.action, shown)
        assert all("*" in str(value) for value in shown.get("mobile", [])[1:]), shown
    created = AuditEntry.objects.get(action="customer.created")
    assert audit_display.shown_diff(reception, created)["mobile"] == [None, OLD_MASKED]


def test_a_follow_up_change_shows_reception_the_plan_but_not_what_was_said(store_a, make_staff, consultant, customer):
    follow_up = FollowUp.objects.get(customer=customer)
    services.followup_complete(
        actor=consultant, follow_up=follow_up, channel="phone", outcome="reached", notes="FUNOTEMARK", new_grade="H"
    )
    completed = AuditEntry.objects.get(target_type="customers.followup", action="followup.completed")
    assert {"outcome", "channel"} <= set(completed.diff)
    reception = make_staff("receptionist", store_a)
    manager = make_staff("sales_manager", store_a)

    shown = audit_display.shown_diff(reception, completed)
    assert not {"outcome", "channel", "grade", "notes"} & set(shown), shown
    assert set(shown) <= {"id", "customer", "customer_name", "assignee", "purpose", "due_at", "status"}
    assert audit_display.shown_diff(manager, completed)["outcome"] == [None, "reached"]


def test_a_mobile_or_id_number_in_a_change_about_no_customer_is_masked_too(client, store_a, manager):
    audit_record(
        actor=manager,
        action="store.contact_changed",
        target=store_a,
        diff={"mobile": [None, "+86" + NEW_MOBILE], "id_number": [None, ID], "note": [None, "plain"]},
    )
    html = _page(client, manager)
    assert NEW_MASKED in html and "1101**********002X" in html and "plain" in html
    assert NEW_MOBILE not in html and ID not in html


def test_nobody_signed_in_is_shown_no_change(customer):
    from django.contrib.auth.models import AnonymousUser

    entry = AuditEntry.objects.get(action="customer.created")
    assert audit_display.shown_diff(AnonymousUser(), entry) == {}
    assert audit_display.shown_diff(None, entry) == {}


def test_the_page_reads_the_customers_once_whatever_the_number_of_changes(
    client, store_a, consultant, manager, make_staff
):
    def queries() -> int:
        client.force_login(manager)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("audit_list")).status_code == 200
        return len(captured)

    services.customer_create(actor=consultant, store=store_a, name="张一", mobile="13700137001")
    queries()  # the first page of a new session writes it
    few = queries()
    for i in range(2, 12):
        services.customer_create(actor=consultant, store=store_a, name=f"张{i}", mobile=f"137001370{i:02d}")
    assert queries() == few
