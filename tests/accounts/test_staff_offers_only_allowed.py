"""The staff page offers only the actions that will work (issue #10.15): a store administrator sees no reset or
remove button on a group administrator's row and cannot appoint one; the services refuse the same things with the
same rule; a group administrator gets every button."""

import pytest
from django.test import Client
from django.urls import reverse

from dealerdesk.accounts.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def store_admin(store_a, make_staff):
    return make_staff("store_admin", store_a, full_name="周店长")


@pytest.fixture
def group_admin(store_a, make_staff):
    return make_staff("group_admin", store_a, full_name="集团管理员")


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


def _page(user) -> tuple[Client, str, dict]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("staff_list"))
    assert response.status_code == 200
    row = response.context["rows"][0]
    return client, response.content.decode(), row


def test_a_store_admin_is_offered_nothing_on_the_group_admins_row_and_the_click_would_be_refused(
    store_a, store_admin, group_admin, consultant
):
    client, html, row = _page(store_admin)
    ga = Membership.objects.get(user=group_admin, store=store_a)
    own = Membership.objects.get(user=store_admin, store=store_a)
    mate = Membership.objects.get(user=consultant, store=store_a)

    # the group admin's row: no reset, no remove, a note instead
    assert f'data-testid="staff-reset-{ga.pk}"' not in html and f'data-testid="staff-remove-{ga.pk}"' not in html
    assert f'data-testid="staff-managed-{ga.pk}"' in html
    # the consultant's row: both; their own row: reset only
    assert f'data-testid="staff-reset-{mate.pk}"' in html and f'data-testid="staff-remove-{mate.pk}"' in html
    assert f'data-testid="staff-reset-{own.pk}"' in html and f'data-testid="staff-remove-{own.pk}"' not in html
    # the role list does not offer the group administrator role
    assert "group_admin" not in dict(row["roles"]) and "consultant" in dict(row["roles"])

    # and what is not offered is refused by the service with the same rule, nothing changed
    for action in ("reset", "remove"):
        response = client.post(reverse("staff_list"), {"action": action, "store": store_a.pk, "membership": ga.pk})
        assert response.status_code == 302
    assert Membership.objects.get(pk=ga.pk).is_active
    group_admin.refresh_from_db()
    assert group_admin.is_active


def test_a_group_admin_is_offered_every_action_and_the_group_admin_role(store_a, store_admin, group_admin):
    _client, html, row = _page(group_admin)
    sa = Membership.objects.get(user=store_admin, store=store_a)
    assert f'data-testid="staff-reset-{sa.pk}"' in html and f'data-testid="staff-remove-{sa.pk}"' in html
    assert "group_admin" in dict(row["roles"])
