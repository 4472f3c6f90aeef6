"""The driver's licence number is masked everywhere and revealed like the customer's ID number: only roles with
`customers.reveal` in the customer's store, every reveal in the access log, refusals not logged; through the
service, the booking page (htmx and plain POST, CSRF kept) and the API (in the schema)."""

import datetime

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dealerdesk.core.errors import NotPermitted, TransitionRefused
from dealerdesk.core.models import AccessLog
from dealerdesk.customers.privacy import customer_erase
from dealerdesk.testdrives import services
from dealerdesk.testdrives.models import DriverLicence
from tests.customers.factories import CustomerFactory
from tests.testdrives.factories import DemoCarFactory
from tests.testdrives.helpers import VALID_LICENCE, book, licence_consent

pytestmark = pytest.mark.django_db

MASKED = services.mask_licence(VALID_LICENCE)
TARGET = "testdrives.driverlicence"


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def receptionist(store_a, make_staff):
    return make_staff("receptionist", store_a, full_name="刘芳")


@pytest.fixture
def other_store_consultant(store_b, make_staff):
    return make_staff("consultant", store_b, full_name="赵强")


@pytest.fixture
def td(store_a, consultant):
    """A confirmed booking with the customer's licence on record."""
    customer = CustomerFactory(store=store_a, owner=consultant, name="陈晓明")
    booking = book(consultant, store_a, customer, DemoCarFactory(store_a, odometer_km=100), consultant=consultant)
    booking = services.testdrive_confirm(actor=consultant, test_drive=booking, consultant=consultant)
    licence_consent(customer)
    services.licence_record(
        actor=consultant,
        test_drive=booking,
        number=VALID_LICENCE,
        licence_class="C2",
        expires_on=timezone.localdate() + datetime.timedelta(days=900),
    )
    booking.refresh_from_db()
    return booking


def _logs():
    return AccessLog.objects.filter(target_type=TARGET)


# ---------------------------------------------------------------- the service


def test_a_permitted_role_gets_the_full_number_and_the_reveal_is_logged(td, consultant):
    number = services.licence_reveal(actor=consultant, licence=td.licence, reason="核对驾驶证")
    assert number == VALID_LICENCE
    log = _logs().get()
    assert (log.kind, log.target_id, log.store_id, log.actor_id) == (
        "reveal",
        str(td.licence_id),
        td.store_id,
        consultant.pk,
    )
    assert log.fields == ["number"] and log.reason == "核对驾驶证"


def test_a_receptionist_and_another_store_are_refused_and_nothing_is_logged(td, receptionist, other_store_consultant):
    for actor in (receptionist, other_store_consultant):
        with pytest.raises(NotPermitted):
            services.licence_reveal(actor=actor, licence=td.licence)
    assert not _logs().exists()


def test_a_colleague_whose_customer_it_is_not_is_refused(td, store_a, make_staff):
    # like the customer page: a consultant reveals for their own customers, a manager for the store's
    colleague = make_staff("consultant", store_a, full_name="李娜")
    with pytest.raises(NotPermitted):
        services.licence_reveal(actor=colleague, licence=td.licence)
    assert services.licence_reveal(actor=make_staff("sales_manager", store_a), licence=td.licence) == VALID_LICENCE
    assert _logs().count() == 1


def test_an_erased_licence_has_nothing_to_reveal(td, consultant, store_a, make_staff):
    manager = make_staff("sales_manager", store_a)
    customer_erase(actor=manager, customer=td.customer, reason="删除请求 #1")
    licence = DriverLicence.objects.get(pk=td.licence_id)
    with pytest.raises(TransitionRefused) as refused:
        services.licence_reveal(actor=consultant, licence=licence)
    assert refused.value.code == "licence_erased"
    assert not _logs().exists()


def test_the_agreement_does_not_print_the_licence_number(td):
    # the agreement only states that a valid licence was shown; neither the full nor the masked number is in it
    text = services.agreement_text(td)
    assert VALID_LICENCE not in text and MASKED not in text


# ---------------------------------------------------------------- the booking page


def test_the_page_shows_the_masked_number_and_the_control_only_to_permitted_roles(client, td, consultant, receptionist):
    url = reverse("testdrive_detail", args=[td.pk])
    reveal_url = reverse("testdrive_licence_reveal", args=[td.pk])
    client.force_login(consultant)
    html = client.get(url).content.decode()
    assert 'data-testid="licence-masked"' in html and MASKED in html and VALID_LICENCE not in html
    assert 'data-testid="reveal-licence"' in html and reveal_url in html
    client.force_login(receptionist)
    html = client.get(url).content.decode()
    assert MASKED in html and VALID_LICENCE not in html
    assert 'data-testid="reveal-licence"' not in html
    assert not _logs().exists()  # showing the page reveals nothing


def test_revealing_on_the_page_with_htmx_and_with_a_plain_form(client, td, consultant):
    url = reverse("testdrive_licence_reveal", args=[td.pk])
    client.force_login(consultant)
    fragment = client.post(url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert 'data-testid="licence-full"' in fragment.content.decode() and VALID_LICENCE in fragment.content.decode()
    assert "no-store" in fragment["Cache-Control"]
    page = client.post(url)
    assert page.status_code == 200 and VALID_LICENCE in page.content.decode()
    assert 'data-testid="booking-facts"' in page.content.decode()
    assert _logs().count() == 2
    # a reveal is not sticky: the next visit shows the masked number again
    assert VALID_LICENCE not in client.get(reverse("testdrive_detail", args=[td.pk])).content.decode()


def test_the_page_refuses_a_receptionist_and_another_store(client, td, receptionist, other_store_consultant):
    url = reverse("testdrive_licence_reveal", args=[td.pk])
    client.force_login(receptionist)
    refused = client.post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403 and 'data-testid="reveal-error"' in refused.content.decode()
    assert VALID_LICENCE not in refused.content.decode()
    plain = client.post(url)
    assert plain.status_code == 302 and plain["Location"] == reverse("testdrive_detail", args=[td.pk])
    client.force_login(other_store_consultant)
    assert client.post(url).status_code == 404
    assert client.get(url).status_code in (404, 405)
    assert not _logs().exists()


def test_the_reveal_form_needs_the_csrf_token(td, consultant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(consultant)
    url = reverse("testdrive_licence_reveal", args=[td.pk])
    assert client.post(url).status_code == 403
    assert not _logs().exists()
    page = client.get(reverse("testdrive_detail", args=[td.pk]))
    token = page.context["csrf_token"]
    assert client.post(url, {"csrfmiddlewaretoken": str(token)}).status_code == 200
    assert _logs().count() == 1


# ---------------------------------------------------------------- the API


def _api_url(td) -> str:
    return f"/api/v1/test-drives/{td.pk}/licence/reveal/"


def test_the_api_shows_the_masked_number_and_reveals_it_to_a_permitted_role(api, td, consultant):
    api.force_authenticate(consultant)
    booking = api.get(f"/api/v1/test-drives/{td.pk}/").json()
    assert booking["licence"]["number"] == MASKED
    response = api.post(_api_url(td), {"reason": "核对"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"licence": td.licence_id, "number": VALID_LICENCE}
    assert response["Cache-Control"] == "no-store"
    log = _logs().get()
    assert log.actor_id == consultant.pk and log.reason == "核对"


def test_the_api_refuses_a_receptionist_with_403_and_hides_other_stores(api, td, receptionist, other_store_consultant):
    api.force_authenticate(receptionist)
    refused = api.post(_api_url(td), {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_permitted" and refused.json()["detail"]
    assert VALID_LICENCE not in refused.content.decode()
    api.force_authenticate(other_store_consultant)
    assert api.post(_api_url(td), {}, format="json").status_code == 404
    assert not _logs().exists()


def test_the_api_answers_404_when_no_licence_is_recorded(api, store_a, consultant):
    customer = CustomerFactory(store=store_a, owner=consultant)
    booking = book(consultant, store_a, customer, DemoCarFactory(store_a), consultant=consultant)
    api.force_authenticate(consultant)
    assert api.post(_api_url(booking), {}, format="json").status_code == 404
    assert not _logs().exists()


def test_the_reveal_action_is_in_the_schema(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    operation = schema["paths"]["/api/v1/test-drives/{id}/licence/reveal/"]["post"]
    assert {"200", "403", "404"} <= set(operation["responses"])
