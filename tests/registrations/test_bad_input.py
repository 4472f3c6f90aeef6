"""Issue #11: completing a case the customer handles themselves, ids and text given to the registrations API."""

import pytest
from django.urls import reverse

from dealerdesk.core.errors import TransitionRefused
from dealerdesk.registrations import services
from dealerdesk.registrations.choices import RegistrationStatus
from dealerdesk.registrations.models import Registration

pytestmark = pytest.mark.django_db
S = RegistrationStatus
BIG = str(2**64)


def test_completing_a_customers_own_case_without_a_plate_is_refused_by_the_service(clerk, order):
    # given a case the customer registers themselves, still waiting for their plate
    registration = services.registration_open(actor=clerk, order=order, by_customer=True)
    # when the clerk tries to complete it without a plate
    with pytest.raises(TransitionRefused) as refused:
        services.registration_complete(actor=clerk, registration=registration)
    # then it is refused on the plate, and nothing changed
    assert refused.value.code == "registration_plate_missing" and refused.value.field == "plate"
    assert "Record the plate first" in str(refused.value.message)
    registration.refresh_from_db()
    assert registration.status == S.COLLECTING_DOCUMENTS and registration.completed_at is None


def test_completing_a_customers_own_case_over_the_api_asks_for_the_plate(api, clerk, order):
    # given a case the customer registers themselves
    api.force_authenticate(clerk)
    pk = api.post("/api/v1/registrations/", {"order": order.pk, "by_customer": True}, format="json").json()["id"]
    # when the clerk completes it
    response = api.post(f"/api/v1/registrations/{pk}/complete/")
    # then a 409 names the plate (not a 500 from the database's check)
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "registration_plate_missing" and body["field"] == "plate"
    assert "Record the plate first" in body["detail"]
    # and recording the plate is the way to complete it
    response = api.post(
        f"/api/v1/registrations/{pk}/plate/", {"plate": "粤BF00001", "licence_issued_on": "2026-01-05"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "completed"


def test_completing_a_customers_own_case_on_the_page_shows_the_refusal(client, clerk, order):
    # given a case the customer registers themselves
    registration = services.registration_open(actor=clerk, order=order, by_customer=True)
    client.force_login(clerk)
    # when the complete form is posted anyway
    response = client.post(reverse("registration_complete", args=[registration.pk]), follow=True)
    # then the case page comes back with the reason (in the clerk's Chinese), and the case is unchanged
    assert response.status_code == 200 and "请先登记车牌" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == S.COLLECTING_DOCUMENTS


def test_complete_takes_no_input(api, clerk, order):
    api.force_authenticate(clerk)
    pk = api.post("/api/v1/registrations/", {"order": order.pk}, format="json").json()["id"]
    response = api.post(f"/api/v1/registrations/{pk}/complete/", {"plate": "粤BF00001"}, format="json")
    assert response.status_code == 400 and "plate" in response.json()
    assert Registration.objects.get(pk=pk).status == S.COLLECTING_DOCUMENTS


@pytest.mark.parametrize("param", ["order", "clerk"])
@pytest.mark.parametrize("value", [BIG, "abc", "0", "-1", "²"])
def test_the_tracker_refuses_what_is_no_id(api, clerk, param, value):
    api.force_authenticate(clerk)
    response = api.get("/api/v1/registrations/", {param: value})
    assert response.status_code == 400 and "not a valid id" in response.json()[param][0]


@pytest.mark.parametrize("body", [{"order": 2**64}, {"order": "abc"}, {"order": 1, "clerk": 2**64}])
def test_opening_refuses_what_is_no_id(api, clerk, order, body):
    api.force_authenticate(clerk)
    response = api.post("/api/v1/registrations/", body, format="json")
    assert response.status_code == 400
    assert "not a valid id" in str(response.json())


def test_opening_refuses_unknown_and_read_only_fields(api, clerk, order):
    api.force_authenticate(clerk)
    response = api.post(
        "/api/v1/registrations/", {"order": order.pk, "status": "completed", "colour": "red"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"status", "colour"}
    assert not Registration.objects.exists()


def test_a_licence_date_in_year_1_is_a_field_error(api, clerk, order):
    api.force_authenticate(clerk)
    pk = api.post("/api/v1/registrations/", {"order": order.pk, "by_customer": True}, format="json").json()["id"]
    response = api.post(
        f"/api/v1/registrations/{pk}/plate/", {"plate": "粤BF00001", "licence_issued_on": "0001-01-01"}, format="json"
    )
    assert response.status_code == 400 and "between 1900 and 2100" in response.json()["licence_issued_on"][0]


def test_control_characters_are_dropped_from_notes_and_reasons(api, clerk, order):
    api.force_authenticate(clerk)
    pk = api.post(
        "/api/v1/registrations/", {"order": order.pk, "note": "带\x02齐\r材料\n\t再来"}, format="json"
    ).json()["id"]
    assert Registration.objects.get(pk=pk).note == "带齐\n材料\n\t再来"
    response = api.post(f"/api/v1/registrations/{pk}/cancel/", {"reason": "\x02\x03"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = api.post(f"/api/v1/registrations/{pk}/cancel/", {"reason": "客户\x1b自办"}, format="json")
    assert response.status_code == 200 and Registration.objects.get(pk=pk).cancel_reason == "客户自办"
