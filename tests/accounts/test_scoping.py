"""A person of store A never reaches store B's records, through pages or the API: not found, not forbidden."""

import pytest
from django.urls import reverse

from dealerdesk.accounts import selectors
from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.services import notification_queue
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_store_api_lists_only_the_callers_stores(store_a, store_b, make_staff, api):
    user = make_staff("sales_manager", store_a)
    api.force_authenticate(user)
    body = api.get("/api/v1/stores/").json()
    assert [s["code"] for s in body["results"]] == ["store-a"]


def test_other_stores_object_is_404_through_the_api(store_a, store_b, make_staff, api):
    user = make_staff("sales_manager", store_a)
    api.force_authenticate(user)
    assert api.get(f"/api/v1/stores/{store_a.pk}/").status_code == 200
    assert api.get(f"/api/v1/stores/{store_b.pk}/").status_code == 404


def test_other_stores_object_is_404_through_the_ui(store_a, store_b, make_staff, client):
    manager_a = make_staff("sales_manager", store_a)
    message_b = notification_queue(channel="sms", recipient="+8613800138000", subject="x", body="y", store=store_b)
    message_b.status = "failed"
    message_b.save()
    client.force_login(manager_a)
    assert client.post(reverse("outbox_retry", args=[message_b.pk])).status_code == 404
    message_b.refresh_from_db()
    assert message_b.status == "failed"


def test_audit_and_outbox_pages_show_only_own_store(store_a, store_b, make_staff, client):
    manager_a = make_staff("sales_manager", store_a)
    notification_queue(channel="email", recipient="a@example.com", subject="给A店", body=".", store=store_a)
    notification_queue(channel="email", recipient="b@example.com", subject="给B店", body=".", store=store_b)
    client.force_login(manager_a)
    body = client.get(reverse("outbox_list")).content.decode()
    assert "给A店" in body and "给B店" not in body


def test_group_admin_sees_every_store_of_the_group(store_a, store_b, make_staff):
    admin = make_staff("group_admin", store_a)
    assert set(selectors.store_visible_to(admin)) == {store_a, store_b}
    assert user_can(admin, "store.manage", store_b)


def test_roles_apply_per_store(store_a, store_b, make_staff):
    # a consultant in A who is receptionist in B may sell in A but not in B
    user = make_staff("consultant", store_a)
    MembershipFactory(user=user, store=store_b, role="receptionist")
    user.refresh_from_db()
    assert user_can(user, "sales.sell", store_a)
    assert not user_can(user, "sales.sell", store_b)
    assert user_can(user, "visits.log", store_b)
    assert user.has_perm("sales.sell", store_a)  # the same answer through django-rules
    assert not user.has_perm("sales.sell", store_b)


def test_receptionist_cannot_reveal_but_consultant_can(store_a, make_staff):
    assert not user_can(make_staff("receptionist", store_a), "customers.reveal", store_a)
    assert user_can(make_staff("consultant", store_a), "customers.reveal", store_a)


def test_inactive_membership_gives_nothing(store_a, make_staff):
    user = make_staff("sales_manager", store_a)
    user.memberships.update(is_active=False)
    user.refresh_from_db()
    assert not user_can(user, "store.view", store_a)
    assert list(selectors.store_visible_to(user)) == []


def test_navigation_follows_roles(store_a, make_staff, client):
    client.force_login(make_staff("consultant", store_a))
    consultant_nav = client.get(reverse("home")).content.decode()
    assert reverse("audit_list") not in consultant_nav
    client.force_login(make_staff("store_admin", store_a))
    admin_nav = client.get(reverse("home")).content.decode()
    assert reverse("audit_list") in admin_nav and reverse("staff_list") in admin_nav


def test_home_and_lists_run_a_fixed_number_of_queries(store_a, make_staff, client, django_assert_max_num_queries):
    manager = make_staff("store_admin", store_a)
    for i in range(30):
        notification_queue(channel="email", recipient=f"{i}@example.com", subject=f"s{i}", body=".", store=store_a)
    client.force_login(manager)
    for url in (reverse("home"), reverse("audit_list"), reverse("outbox_list"), reverse("staff_list")):
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200
