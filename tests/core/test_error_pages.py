"""Error pages speak the user's language and lead somewhere: 403 and 404 inside the app's frame, a GET on a
form-only address (a refresh after a form error) explains itself instead of an empty 405, the API keeps its plain
405; the favicon resolves."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant_client(client, store_a, make_staff):
    client.force_login(make_staff("consultant", store_a))
    return client


def test_403_and_404_are_pages_in_chinese_with_the_navigation(client, consultant_client, store_a, make_staff):
    client.force_login(make_staff("receptionist", store_a))
    forbidden = client.get(reverse("registration_list"))
    assert forbidden.status_code == 403
    html = forbidden.content.decode()
    assert 'data-testid="error-page"' in html and "您的角色不包含此页面" in html and 'data-testid="user-menu"' in html
    missing = consultant_client.get("/customers/999999999/")
    assert missing.status_code == 404 and 'data-testid="error-page"' in missing.content.decode()


def test_a_get_on_a_form_only_address_explains_and_links_back(consultant_client, store_a):
    back = "http://testserver/sales/"
    response = consultant_client.get(reverse("logout"), HTTP_REFERER=back)
    assert response.status_code == 405 and "POST" in response["Allow"]
    html = response.content.decode()
    assert "此地址只接受表单提交" in html and f'href="{back}"' in html
    # a referer from elsewhere is not offered as the way back
    elsewhere = consultant_client.get(reverse("logout"), HTTP_REFERER="https://evil.example/x")
    assert "evil.example" not in elsewhere.content.decode()


def test_the_api_keeps_a_plain_405(api, store_a, make_staff):
    api.force_authenticate(make_staff("consultant", store_a))
    response = api.delete("/api/v1/me/")
    assert response.status_code == 405
    assert "error-page" not in response.content.decode()


def test_the_favicon_resolves():
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(".svg")
