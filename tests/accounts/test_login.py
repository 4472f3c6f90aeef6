"""Logging in, failed logins and lockout, sessions and CSRF, through the pages a person uses."""

import pytest
from django.test import Client
from django.urls import reverse

from dealerdesk.accounts.roles import Role
from dealerdesk.core.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", Role.values)
def test_each_role_can_log_in_and_sees_its_store(role, store_a, make_staff):
    # given a person with this role in store A
    user = make_staff(role, store_a)
    client = Client()
    # when they log in through the form
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True)
    # then they land on the home page that lists their store
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == user
    assert store_a.name in response.content.decode()


def test_login_page_is_chinese_by_default(client):
    response = client.get(reverse("login"))
    body = response.content.decode()
    assert 'lang="zh-hans"' in body
    assert "用户名" in body and "密码" in body


def test_wrong_password_says_so_and_counts_down(store_a, make_staff, client):
    user = make_staff("consultant", store_a)
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    message = response.content.decode()
    assert "用户名或密码不正确" in message
    assert "还可尝试 4 次" in message
    assert "_auth_user_id" not in client.session


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client, db):
    response = client.post(reverse("login"), {"username": "nobody", "password": "x"})
    assert "用户名或密码不正确" in response.content.decode()


def test_five_failures_lock_the_account_for_15_minutes(store_a, make_staff, client):
    user = make_staff("consultant", store_a)
    for _ in range(5):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    # even the right password is refused now, with a clear message
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "锁定 15 分钟" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_also_applies_to_the_api(store_a, make_staff, api):
    user = make_staff("consultant", store_a)
    for _ in range(5):
        api.post("/api/v1/auth/token/", {"username": user.username, "password": "wrong"}, format="json")
    response = api.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_expired_session_is_explained_on_the_login_page(store_a, make_staff, client, settings):
    user = make_staff("consultant", store_a)
    client.force_login(user)
    # the session disappears server-side (idle timeout) while the browser still sends the cookie
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "由于长时间未操作" in response.content.decode()


def test_idle_timeout_is_configured(settings):
    # the idle logout is the middleware's (tests/accounts/test_idle_logout.py); the stored session outlives it
    assert settings.DEALERDESK_IDLE_TIMEOUT_SECONDS == 30 * 60
    assert settings.SESSION_COOKIE_AGE > settings.DEALERDESK_IDLE_TIMEOUT_SECONDS


def test_form_without_csrf_token_is_refused_and_changes_nothing(store_a, make_staff):
    user = make_staff("consultant", store_a, language="zh-hans")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 403
    assert "安全校验" in response.content.decode()
    user.refresh_from_db()
    assert user.language == "zh-hans"
    assert not AuditEntry.objects.filter(action="user.language_changed").exists()


def test_language_switch_is_saved_on_the_profile_and_audited(store_a, make_staff, client):
    user = make_staff("consultant", store_a)
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"
    assert "Welcome" in client.get(reverse("home")).content.decode()
    entry = AuditEntry.objects.get(action="user.language_changed")
    assert entry.actor == user and entry.diff == {"language": ["zh-hans", "en"]}


def test_language_switch_rejects_unknown_language(store_a, make_staff, client):
    user = make_staff("consultant", store_a)
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"}, follow=True)
    assert "请选择中文或英文" in response.content.decode()
    user.refresh_from_db()
    assert user.language == "zh-hans"


def test_language_switch_refuses_to_redirect_off_site(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_password_change_goes_through_the_service_and_is_audited(store_a, make_staff, client):
    user = make_staff("consultant", store_a)
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Quite-New-2027!", "new_password2": "Quite-New-2027!"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Quite-New-2027!")
    assert AuditEntry.objects.filter(action="user.password_changed", actor=user).exists()
    # still logged in after the change
    assert client.get(reverse("home")).status_code == 200


def test_logout_needs_post_and_ends_the_session(store_a, make_staff, client):
    user = make_staff("consultant", store_a)
    client.force_login(user)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302
