"""The OpenAPI schema agrees with the answers (issue #11.7): the cases the issue named, checked on the document a
client downloads, and the error answers behind them. Schemathesis (test_schemathesis.py) checks the rest by asking."""

import pytest
from rest_framework.authtoken.models import Token

from tests.api.test_schemathesis import openapi_document

pytestmark = pytest.mark.django_db


def _property(component: str, name: str) -> dict:
    return openapi_document()["components"]["schemas"][component]["properties"][name]


def _values(schema: dict) -> set:
    """The values an enum property allows, through the `oneOf` of references drf-spectacular writes."""
    components = openapi_document()["components"]["schemas"]
    found = set(schema.get("enum", []))
    for option in schema.get("oneOf", []):
        ref = option.get("$ref", "").rsplit("/", 1)[-1]
        found |= set(components[ref].get("enum", [])) if ref else set(option.get("enum", []))
    return found


def test_the_fields_the_issue_named_are_nullable_or_strings_as_sent():
    assert _property("Order", "vin")["nullable"] is True
    assert _property("Delivery", "consultant_signed_by")["nullable"] is True
    assert _property("Registration", "clerk_name")["nullable"] is True
    assert _property("RegistrationDocument", "received_by")["nullable"] is True
    price = _property("Trim", "marked_price")
    assert price["type"] == "string" and price["format"] == "decimal" and price["nullable"] is True


def test_an_enum_over_a_column_that_may_be_blank_lists_the_empty_value():
    assert "" in _values(_property("Visit", "assign_method"))
    assert "" in _values(_property("StockVehicle", "demo_status"))


def test_every_operation_lists_its_error_answers_with_a_json_body():
    document = openapi_document()
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["required"] == ["code", "detail"]
    operations = [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 100
    for method, path, operation in operations:
        responses = operation["responses"]
        assert "503" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "415"} <= responses.keys(), (method, path)
        if operation.get("security") and {} not in operation["security"]:
            assert {"401", "403"} <= responses.keys(), (method, path)
        for code, response in responses.items():
            if int(code) >= 400:
                assert list(response["content"]) == ["application/json"], (method, path, code)


def test_a_cursor_that_does_not_decode_is_a_400_naming_it(api, store_a, make_staff):
    api.force_authenticate(make_staff("sales_manager", store_a))
    response = api.get("/api/v1/customers/", {"cursor": "not-a-cursor"})
    assert response.status_code == 400 and "cursor" in response.json()


def test_an_api_address_without_a_route_answers_json_and_a_page_html(client, store_a, make_staff):
    token = Token.objects.create(user=make_staff("sales_manager", store_a))
    response = client.get("/api/v1/catalog/brands/0.5/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_store_id_the_lead_sources_cannot_read_is_a_400(api, store_a, make_staff):
    api.force_authenticate(make_staff("sales_manager", store_a))
    assert api.get("/api/v1/lead-sources/", {"store": "²"}).status_code == 400  # a digit to str.isdigit
    assert api.get("/api/v1/lead-sources/", {"store": str(store_a.pk)}).status_code == 200
