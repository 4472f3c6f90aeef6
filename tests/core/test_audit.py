"""Audit entries are written by services and cannot be changed or removed by any path."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from dealerdesk.accounts.services import membership_grant, user_set_language
from dealerdesk.core.audit import audit_record, diff_fields
from dealerdesk.core.errors import NotPermitted
from dealerdesk.core.models import AppendOnlyError, AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_services_write_an_audit_entry_with_actor_diff_and_store(store_a, make_staff):
    admin = make_staff("store_admin", store_a)
    newcomer = UserFactory()
    membership = membership_grant(actor=admin, user=newcomer, store=store_a, role="consultant")
    entry = AuditEntry.objects.get(action="membership.granted", target_id=str(membership.pk))
    assert entry.actor == admin
    assert entry.store == store_a
    assert entry.diff == {"role": [None, "consultant"]}
    assert entry.target_type == "accounts.membership"


def test_a_refused_service_call_writes_nothing(store_a, make_staff):
    consultant = make_staff("consultant", store_a)
    before = AuditEntry.objects.count()
    with pytest.raises(NotPermitted):
        membership_grant(actor=consultant, user=UserFactory(), store=store_a, role="consultant")
    assert AuditEntry.objects.count() == before


def test_audit_entry_cannot_be_saved_again_or_deleted_through_the_orm(store_a, make_staff):
    user = make_staff("consultant", store_a)
    entry = user_set_language(actor=user, language="en") and AuditEntry.objects.get()
    entry.action = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "user.language_changed"


def test_the_database_itself_refuses_an_update(store_a, make_staff):
    user = make_staff("consultant", store_a)
    entry = audit_record(actor=user, action="demo.done", target=store_a)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = 'x' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "demo.done"


def test_the_database_itself_refuses_a_delete(store_a):
    entry = audit_record(actor=None, action="demo.done", target=store_a)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_admin_shows_audit_read_only(store_a, admin_client):
    entry = audit_record(actor=None, action="demo.done", target=store_a)
    change_url = reverse("admin:core_auditentry_change", args=[entry.pk])
    assert admin_client.get(change_url).status_code == 200  # view only
    assert admin_client.post(change_url, {"action": "x"}).status_code == 403
    assert (
        admin_client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    assert admin_client.get(reverse("admin:core_auditentry_add")).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "demo.done"


def test_no_api_route_writes_audit_entries(store_a, make_staff, api):
    user = make_staff("group_admin", store_a)
    api.force_authenticate(user)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(api, method)("/api/v1/audit-entries/1/").status_code == 404


def test_audit_list_page_shows_entries_of_own_store_with_keyset_pages(store_a, store_b, make_staff, client):
    manager = make_staff("sales_manager", store_a)
    for i in range(60):
        audit_record(actor=manager, action=f"demo.step{i:02d}", target=store_a)
    audit_record(actor=None, action="demo.other_store", target=store_b)
    client.force_login(manager)
    first = client.get(reverse("audit_list"))
    page = first.context["page"]
    assert len(page.items) == 50 and page.next_cursor
    second = client.get(reverse("audit_list"), {"after": page.next_cursor}).context["page"]
    # 60 of ours plus the membership grant by the factory is not audited: exactly 10 remain
    assert len(second.items) == 10 and second.next_cursor is None
    seen = {e.action for e in page.items} | {e.action for e in second.items}
    assert "demo.other_store" not in seen


def test_diff_masks_sensitive_fields():
    assert diff_fields({"a": 1, "id_number": "x"}, {"a": 2, "id_number": "y"}, masked=["id_number"]) == {
        "a": [1, 2],
        "id_number": ["***", "***"],
    }


def test_audit_entry_carries_request_id_and_ip(store_a, make_staff, client):
    user = make_staff("consultant", store_a)
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"
    entry = AuditEntry.objects.get(action="user.language_changed")
    assert entry.request_id == "abc123"
    assert entry.ip == "127.0.0.1"


def test_the_trail_shows_changes_with_field_names_and_choice_labels(store_a, make_staff, client):
    from dealerdesk.customers.models import Customer
    from tests.customers.factories import CustomerFactory

    manager = make_staff("sales_manager", store_a)
    customer = CustomerFactory(store=store_a)
    audit_record(
        actor=manager,
        action="customer.updated",
        target=customer,
        diff={
            "stage": ["lead", "ordered"],
            "reason": [None, "客户要求"],
            "is_company": [None, False],
            "checklist": [{"clean": False}, {"clean": True, "items": ["lights", "tyres"]}],
            "tags": [["VIP"], ["VIP", "转介绍"]],
        },
    )
    client.force_login(manager)
    html = client.get(reverse("audit_list")).content.decode()
    stage = Customer._meta.get_field("stage")
    labels = dict(stage.flatchoices)
    assert f"{stage.verbose_name}" in html or "阶段" in html
    assert f"{labels['lead']} → {labels['ordered']}" in html  # choice labels, not codes
    assert "原因" in html and "客户要求" in html  # a key that is no field has a registered label (issue #10.12)
    assert "{'stage'" not in html  # no raw Python data
    assert "lights、tyres" in html and "VIP、转介绍" in html  # nested values read as lists
