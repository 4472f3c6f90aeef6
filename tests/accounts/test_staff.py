"""Store administrators manage their staff on the staff page: add a person (a one-time password shown once, never
stored in the audit), give a colleague of the group a role, reset a password (lockout lifted), take a role away (a
person without any role can no longer log in); other roles and other stores are refused."""

import pytest
from django.test import Client
from django.urls import reverse

from dealerdesk.accounts.models import Membership, User
from dealerdesk.core.models import AuditEntry
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(store_a, make_staff):
    return make_staff("store_admin", store_a, full_name="周店长")


def post(client, **data):
    return client.post(reverse("staff_list"), data)


def test_adding_a_new_person_issues_a_one_time_password(client, store_a, admin):
    client.force_login(admin)
    response = post(client, action="add", store=store_a.pk, username="liuyang", full_name="刘洋", role="consultant")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store, private"
    password = response.context["issued"]["password"]
    assert 'data-testid="issued-password"' in response.content.decode()
    person = User.objects.get(username="liuyang")
    assert person.full_name == "刘洋" and person.check_password(password)
    assert Membership.objects.filter(user=person, store=store_a, role="consultant", is_active=True).exists()
    created = AuditEntry.objects.get(action="user.created", target_id=str(person.pk))
    assert password not in str(created.diff) and created.store_id == store_a.pk
    # the page shown again later does not show the password
    assert password not in client.get(reverse("staff_list")).content.decode()


def test_bad_input_is_refused_by_field_and_nothing_is_written(client, store_a, admin, make_staff):
    client.force_login(admin)
    other_group_store = StoreFactory(code="elsewhere")  # a store of another dealer group
    outsider = make_staff("consultant", other_group_store)
    cases = [
        ({"username": "", "full_name": "刘洋", "role": "consultant"}, "username"),
        ({"username": "bad name!", "full_name": "刘洋", "role": "consultant"}, "username"),
        ({"username": "newbie", "full_name": "", "role": "consultant"}, "full_name"),
        ({"username": "newbie", "full_name": "新人", "role": "pilot"}, "role"),
        # another group's person cannot be pulled in by username: it reads as taken
        ({"username": outsider.username, "full_name": "", "role": "consultant"}, "username"),
    ]
    users_before, memberships_before = User.objects.count(), Membership.objects.count()
    for data, field in cases:
        response = post(client, action="add", store=store_a.pk, **data)
        assert response.status_code == 400 and f'data-testid="error-{field}"' in response.content.decode(), data
    assert (User.objects.count(), Membership.objects.count()) == (users_before, memberships_before)


def test_a_colleague_of_the_group_gains_the_role_without_a_new_password(client, store_a, admin, make_staff):
    colleague = make_staff("consultant", store_a, full_name="王磊")
    client.force_login(admin)
    response = post(
        client, action="add", store=store_a.pk, username=colleague.username, full_name="", role="sales_manager"
    )
    assert response.status_code == 200 and response.context["issued"] is None
    assert set(colleague.memberships.filter(is_active=True).values_list("role", flat=True)) == {
        "consultant",
        "sales_manager",
    }


def test_reset_password_and_taking_the_last_role_away(client, store_a, admin, make_staff):
    person = make_staff("consultant", store_a, full_name="李娜")
    membership = person.memberships.get()
    client.force_login(admin)
    response = post(client, action="reset", store=store_a.pk, membership=membership.pk)
    password = response.context["issued"]["password"]
    person.refresh_from_db()
    assert person.check_password(password)
    assert AuditEntry.objects.filter(action="user.password_reset", target_id=str(person.pk)).exists()
    post(client, action="remove", store=store_a.pk, membership=membership.pk)
    person.refresh_from_db()
    membership.refresh_from_db()
    assert membership.is_active is False and person.is_active is False  # a leaver can no longer log in
    refused = Client().post(reverse("login"), {"username": person.username, "password": password})
    assert refused.status_code == 200 and "_auth_user_id" not in refused.wsgi_request.session


def test_an_administrator_cannot_remove_their_own_admin_role(client, store_a, admin):
    client.force_login(admin)
    own = admin.memberships.get(role="store_admin")
    post(client, action="remove", store=store_a.pk, membership=own.pk)
    own.refresh_from_db()
    assert own.is_active is True


def test_other_roles_and_other_stores_are_refused(client, store_a, store_b, admin, make_staff):
    person = make_staff("consultant", store_a)
    client.force_login(make_staff("consultant", store_a))
    response = post(client, action="reset", store=store_a.pk, membership=person.memberships.get().pk)
    assert response.status_code == 404  # the consultant administers no store
    client.force_login(make_staff("store_admin", store_b))
    response = post(client, action="remove", store=store_a.pk, membership=person.memberships.get().pk)
    assert response.status_code == 404
    assert person.memberships.get().is_active is True
