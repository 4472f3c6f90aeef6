"""The duplicate check is no oracle (docs/decisions/0013): a role that cannot reveal ID numbers cannot submit one, a
duplicate of a customer the caller may not open is answered without the field or the customer's id, and every
duplicate hit is written to the access log as a lookup."""

import pytest
from django.test import Client
from django.urls import reverse
from stdnum.cn import ric

from dealerdesk.core.models import AccessLog
from dealerdesk.customers import services
from dealerdesk.customers.models import Customer
from dealerdesk.customers.services import DuplicateCustomer

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
ID = "44030219900101102X"


def _candidates(masked_prefix: str, birthday: str, last4: str) -> list[str]:
    """What a receptionist could compute from the masked ID (4403**********102X) and the birthday: the numbers
    whose check digit fits."""
    found = []
    for region in range(100):
        first17 = f"{masked_prefix}{region:02d}{birthday}{last4[:3]}"
        if ric.calc_check_digit(first17 + "0") == last4[3]:
            found.append(first17 + last4[3])
    return found


@pytest.fixture
def owner(store_a, make_staff):
    return make_staff("consultant", store_a)


@pytest.fixture
def colleague(store_a, make_staff):
    return make_staff("consultant", store_a)


@pytest.fixture
def receptionist(store_a, make_staff):
    return make_staff("receptionist", store_a)


@pytest.fixture
def existing(store_a, owner):
    return services.customer_create(actor=owner, store=store_a, name="陈一", mobile="13800138000", id_number=ID)


def _lookups():
    return list(AccessLog.objects.filter(kind="lookup").order_by("id"))


def test_reception_cannot_complete_a_masked_id_number_through_the_duplicate_answer(
    store_a, receptionist, existing, api
):
    api.force_authenticate(user=receptionist)
    # the card gives reception neither the ID number (even masked) nor the birthday
    card = api.get(f"{URL}{existing.pk}/").json()
    assert "id_number" not in card and "birthday" not in card
    # and even knowing both, every candidate number gets the same refusal: no 409 for the right one, no junk customer
    candidates = _candidates("4403", "19900101", "102X")
    assert ID in candidates and len(candidates) > 1
    answers = set()
    for n, number in enumerate(candidates):
        response = api.post(URL, {"name": "试探", "mobile": f"1370013{n:04d}", "id_number": number}, format="json")
        answers.add((response.status_code, response.json()["code"], response.json().get("field")))
    assert answers == {(403, "id_number_not_permitted", "id_number")}
    assert Customer.objects.count() == 1


def test_reception_quick_form_takes_no_id_number(store_a, receptionist, existing):
    client = Client()
    client.force_login(receptionist)
    response = client.post(reverse("customer_create"), {"name": "试探", "mobile": "13700137000", "id_number": ID})
    assert response.status_code == 302  # the quick form has no such field: the number is not even looked at
    assert Customer.objects.get(mobile="+8613700137000").id_number == ""
    assert not _lookups()


def test_a_duplicate_id_number_of_a_customer_the_caller_cannot_open_names_neither_field_nor_customer(
    store_a, colleague, existing, api
):
    api.force_authenticate(user=colleague)
    response = api.post(URL, {"name": "李四", "mobile": "13700137000", "id_number": ID}, format="json")
    body = response.json()
    assert response.status_code == 409 and body["code"] == "duplicate_customer"
    assert "existing_id" not in body and "field" not in body
    assert body["detail"] == str(DuplicateCustomer(existing, "mobile", disclose=False).message)
    # and the hit is in the access log (kept although the create was rolled back)
    [log] = _lookups()
    assert (log.actor, log.target_id, log.fields) == (colleague, str(existing.pk), ["id_number"])
    assert log.store_id == store_a.pk and log.reason == "duplicate check: not named"
    assert Customer.objects.count() == 1


def test_a_duplicate_mobile_of_another_consultants_customer_is_answered_without_naming_it(
    store_a, colleague, existing, api
):
    api.force_authenticate(user=colleague)
    response = api.post(URL, {"name": "李四", "mobile": "138 0013 8000"}, format="json")
    assert response.status_code == 409
    assert "existing_id" not in response.json() and "field" not in response.json()
    assert [log.fields for log in _lookups()] == [["mobile"]]


def test_reception_finds_the_existing_customer_by_the_mobile_it_typed_and_the_lookup_is_logged(
    store_a, receptionist, existing, api
):
    api.force_authenticate(user=receptionist)
    response = api.post(URL, {"name": "陈一", "mobile": "13800138000"}, format="json")
    body = response.json()
    assert response.status_code == 409
    assert (body["field"], body["existing_id"]) == ("mobile", existing.pk)
    [log] = _lookups()
    assert (log.actor, log.kind, log.target_id, log.fields) == (receptionist, "lookup", str(existing.pk), ["mobile"])
    # and the customer it names opens as the reduced card only
    assert "notes" not in api.get(f"{URL}{existing.pk}/").json()


def test_the_owner_is_told_the_field_and_the_customer_and_the_lookup_is_logged(store_a, owner, existing, api):
    api.force_authenticate(user=owner)
    response = api.post(URL, {"name": "陈一", "mobile": "13900139000", "id_number": ID}, format="json")
    body = response.json()
    assert response.status_code == 409
    assert (body["field"], body["existing_id"]) == ("id_number", existing.pk)
    assert [log.fields for log in _lookups()] == [["id_number"]]


def test_an_update_to_another_customers_id_number_is_answered_as_the_caller_may_be_told(
    store_a, colleague, existing, api
):
    mine = services.customer_create(actor=colleague, store=store_a, name="李四", mobile="13700137000")
    with pytest.raises(DuplicateCustomer) as refused:
        services.customer_update(actor=colleague, customer=mine, id_number=ID)
    assert refused.value.as_dict() == {"code": "duplicate_customer", "detail": str(refused.value.message)}
    assert [(log.actor, log.fields) for log in _lookups()] == [(colleague, ["id_number"])]
    mine.refresh_from_db()
    assert mine.id_number == ""
    # over the API too
    api.force_authenticate(user=colleague)
    response = api.patch(f"{URL}{mine.pk}/", {"id_number": ID}, format="json")
    assert response.status_code == 409 and "existing_id" not in response.json()


def test_the_html_form_links_the_existing_customer_only_when_it_is_named(store_a, owner, colleague, existing):
    for user, linked in ((owner, True), (colleague, False)):
        client = Client()
        client.force_login(user)
        response = client.post(reverse("customer_create"), {"name": "陈一", "mobile": "13800138000"})
        html = response.content.decode()
        assert response.status_code == 409 and 'data-testid="duplicate"' in html
        assert (reverse("customer_detail", args=[existing.pk]) in html) is linked
    assert len(_lookups()) == 2


def test_the_reception_desk_still_links_the_known_customer(store_a, receptionist, existing):
    """Callers inside the app keep the existing customer (the desk links a returning visitor)."""
    with pytest.raises(DuplicateCustomer) as found:
        services.customer_create(actor=receptionist, store=store_a, name="陈一", mobile="13800138000")
    assert found.value.existing == existing and found.value.duplicate_field == "mobile"
