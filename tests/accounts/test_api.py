"""The API front door: tokens, /me, auth errors, and the OpenAPI schema."""

import pytest
from django.core.management import call_command

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_token_for_username_and_password_then_me(store_a, make_staff, api):
    user = make_staff("consultant", store_a)
    response = api.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/").json()
    assert me["username"] == user.username
    assert me["memberships"][0]["store"]["code"] == "store-a"
    assert me["memberships"][0]["roles"] == ["consultant"]


def test_wrong_password_for_a_token_is_a_400_with_a_code(store_a, make_staff, api):
    user = make_staff("consultant", store_a)
    response = api.post("/api/v1/auth/token/", {"username": user.username, "password": "bad"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_login"


def test_token_request_missing_fields_names_them(api, db):
    response = api.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"username", "password"}


def test_no_token_is_401(api, db):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_malformed_token_is_401_with_a_message(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not a token")
    response = api.get("/api/v1/stores/")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_unknown_token_is_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_api_errors_follow_the_language(store_a, make_staff, api):
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    zh = api.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["detail"]
    en = api.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert zh != en and "令牌" in zh


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/auth/token/", "/api/v1/me/", "/api/v1/stores/"):
        assert path in text


def test_schema_and_docs_are_served(client, db):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
