"""Guessing is stopped without handing an outsider a switch that locks a store's staff out (issue #11.11,
decision 0014): failures lock a username at one address; many addresses together hit a ceiling past which only the
username's known addresses may log in; a locked or deactivated account's token stops working."""

from django.urls import reverse
from rest_framework.test import APIClient

from dealerdesk.accounts.lockout import GUARD_FAILURES
from tests.factories import PASSWORD

SHOWROOM = "203.0.113.10"  # the store's NAT address, where its staff log in every day


def _login(client, username: str, password: str, ip: str):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def _token(username: str, password: str, ip: str):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_an_outsider_typing_a_colleagues_username_locks_only_themselves(store_a, make_staff, client):
    # given a consultant who works from the showroom
    user = make_staff("consultant", store_a)
    # when someone elsewhere fails five times with their username
    for _ in range(5):
        _login(client, user.username, "wrong", "198.51.100.7")
    # then that address is locked for them ...
    assert _login(client, user.username, PASSWORD, "198.51.100.7").status_code == 429
    # ... while the consultant logs in from the showroom as usual
    response = _login(client, user.username, PASSWORD, SHOWROOM)
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_guessing_from_many_addresses_hits_a_ceiling_the_showroom_does_not_feel(store_a, make_staff, client):
    # given a consultant who has logged in from the showroom before
    user = make_staff("consultant", store_a)
    assert _login(client, user.username, PASSWORD, SHOWROOM).status_code == 302
    client.post(reverse("logout"))
    # when a botnet fails GUARD_FAILURES times from many addresses (four each, under the per-address lock)
    for n in range(GUARD_FAILURES // 4):
        for _ in range(4):
            _login(client, user.username, "wrong", f"198.51.100.{n + 1}")
    # then even the right password from yet another address is refused, without being tried ...
    refused = _login(client, user.username, PASSWORD, "192.0.2.99")
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    assert _token(user.username, PASSWORD, "192.0.2.99").json()["code"] == "locked_out"
    # ... and the consultant still logs in at the showroom
    assert _login(client, user.username, PASSWORD, SHOWROOM).status_code == 302


def test_a_locked_accounts_token_stops_working_at_that_address(store_a, make_staff):
    # given a token issued at an address
    user = make_staff("consultant", store_a)
    token = _token(user.username, PASSWORD, "198.51.100.20").json()["token"]
    api = APIClient(REMOTE_ADDR="198.51.100.20")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 200
    # when the account is locked there by five failures
    for _ in range(5):
        _token(user.username, "wrong", "198.51.100.20")
    # then the token is refused there with the lockout message
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert "15" in response.json()["detail"]


def test_a_deactivated_accounts_token_stops_working(store_a, make_staff):
    user = make_staff("consultant", store_a)
    token = _token(user.username, PASSWORD, SHOWROOM).json()["token"]
    api = APIClient(REMOTE_ADDR=SHOWROOM)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api.get("/api/v1/me/").status_code == 401
