"""PDI and document ticks in place (issue #10.15): with htmx a tick answers only its row (and the "still missing"
block as an htmx partial), errors included; without JavaScript the same form posts and redirects as before."""

import pytest
from django.urls import reverse

from dealerdesk.deliveries.choices import DocumentKind
from dealerdesk.deliveries.models import DeliveryDocument, PdiCheck
from tests.deliveries.factories import booked

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜", language="zh-hans")


def test_the_forms_post_by_htmx_to_their_row_and_keep_a_plain_post_with_csrf(client, store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    client.force_login(clerk)
    html = client.get(reverse("delivery_detail", args=[delivery.pk])).content.decode()
    url = reverse("delivery_pdi", args=[delivery.pk])
    assert f'action="{url}" hx-post="{url}" hx-target="closest tr" hx-swap="outerHTML"' in html
    assert 'id="delivery-readiness"' in html and "csrfmiddlewaretoken" in html
    assert f'hx-post="{reverse("delivery_document", args=[delivery.pk])}"' in html


def test_a_pdi_tick_by_htmx_answers_its_row_and_the_missing_block_only(client, store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    client.force_login(clerk)

    response = client.post(
        reverse("delivery_pdi", args=[delivery.pk]), {"item": "exterior", "result": "passed"}, **HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<tr data-item="exterior" data-saved="1">') and "<html" not in html
    assert html.count("<tr") == 1 and "text-bg-success" in html
    assert '<template hx type="partial" hx-target="#delivery-readiness" hx-swap="outerHTML">' in html
    assert 'data-testid="delivery-missing"' in html  # the other items still missing
    assert PdiCheck.objects.get(delivery=delivery, code="exterior").result == "passed"


def test_a_refused_tick_by_htmx_shows_its_error_in_the_row_and_writes_nothing(client, store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    client.force_login(clerk)

    response = client.post(
        reverse("delivery_pdi", args=[delivery.pk]), {"item": "exterior", "result": "failed"}, **HTMX
    )

    # htmx swaps 2xx answers only: the row comes back with the message under its field, in Chinese
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<tr data-item="exterior">') and 'data-testid="error-note"' in html
    assert "备注" in html or "说明" in html
    assert PdiCheck.objects.get(delivery=delivery, code="exterior").result != "failed"


def test_document_ticks_in_place_and_the_last_one_offers_mark_prepared(client, store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    client.force_login(clerk)
    for code in PdiCheck.objects.filter(delivery=delivery).values_list("code", flat=True):
        client.post(reverse("delivery_pdi", args=[delivery.pk]), {"item": code, "result": "passed"}, **HTMX)
    kinds = list(DeliveryDocument.objects.filter(delivery=delivery).values_list("kind", flat=True))
    url = reverse("delivery_document", args=[delivery.pk])
    for kind in kinds:
        data = {
            "kind": kind,
            "action": "receive",
            "quantity": "2",
            "invoice_number": "F1",
            "invoice_date": "2026-01-05",
        }
        response = client.post(url, data, **HTMX)
        assert response.status_code == 200
        assert response.content.decode().startswith(f'<tr data-kind="{kind}" data-saved="1">')
    # the last tick's answer carries the readiness block with the button, no list of missing things
    html = response.content.decode()
    assert 'data-testid="delivery-prepare"' in html and 'data-testid="delivery-missing"' not in html
    assert not DeliveryDocument.objects.filter(delivery=delivery, received_at__isnull=True).exists()

    # a second receipt is refused: the message is shown in the row, nothing changes
    response = client.post(url, {"kind": DocumentKind.COC, "action": "receive"}, **HTMX)
    assert response.status_code == 200 and 'data-testid="error-all"' in response.content.decode()


def test_without_javascript_the_same_tick_posts_and_redirects(client, store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    client.force_login(clerk)
    response = client.post(reverse("delivery_pdi", args=[delivery.pk]), {"item": "exterior", "result": "passed"})
    assert response.status_code == 302 and response["Location"] == reverse("delivery_detail", args=[delivery.pk])
