"""UX review fixes on the registration pages: links to the order and delivery, confirmations on destructive forms,
the by-customer word once per tracker row, the company name only for a company owner, "Held by" composed cleanly."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerdesk.registrations import services
from dealerdesk.registrations.choices import DEFAULT_HOLDER, RegistrationStatus
from tests.deliveries.factories import booked
from tests.registrations.helpers import registration_at

pytestmark = pytest.mark.django_db
S = RegistrationStatus


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _tag(html: str, testid: str) -> str:
    match = re.search(r"<[^>]*data-testid=\"" + re.escape(testid) + r"\"[^>]*>", html)
    return match.group(0) if match else ""


def test_registration_page_links_the_order_and_the_delivery(client, clerk, consultant, order, store_a):
    registration = services.registration_open(actor=clerk, order=order)
    client.force_login(clerk)
    url = reverse("registration_detail", args=[registration.pk])
    html = _html(client.get(url))
    assert reverse("order_detail", args=[order.pk]) in html.split('data-testid="registration-order"', 1)[1][:300]
    assert 'data-testid="registration-delivery"' not in html
    delivery = booked(store_a, consultant, order=order)
    with CaptureQueriesContext(connection) as queries:
        html = _html(client.get(url))
    link = html.split('data-testid="registration-delivery"', 1)[1][:300]
    assert reverse("delivery_detail", args=[delivery.pk]) in link
    sqls = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "deliveries_delivery"' in s for s in sqls) == 1
    assert not any("confirmation_pdf" in s for s in sqls)


def test_cancel_and_hand_over_ask_first(client, clerk, order):
    registration = registration_at(clerk, order, S.COLLECTING_DOCUMENTS)
    client.force_login(clerk)
    html = _html(client.get(reverse("registration_detail", args=[registration.pk])))
    assert "data-confirm=" in _tag(html, "cancel-form")
    services.registration_cancel(actor=clerk, registration=registration, reason="重开")
    plated = registration_at(clerk, order, S.PLATE_ISSUED)
    html = _html(client.get(reverse("registration_detail", args=[plated.pk])))
    assert "data-confirm=" in _tag(html, "complete-form")


def test_by_customer_row_says_it_once(client, clerk, order):
    services.registration_open(actor=clerk, order=order, by_customer=True)
    client.force_login(clerk)
    html = _html(client.get(reverse("registration_list")))
    row = html.split('data-testid="registration-table"', 1)[1].split("</tr>", 2)[1]
    assert 'data-testid="by-customer"' not in row  # the status already says the customer registers it
    assert 'data-testid="docs-none"' in row


def test_company_name_is_asked_only_for_a_company_owner(client, clerk, order):
    client.force_login(clerk)
    html = _html(client.get(reverse("registration_open")))
    wrapper = _tag(html, "company-field")
    assert 'data-owner-only="company"' in wrapper and "company-only" in wrapper
    assert 'name="company_name"' in html.split('data-testid="company-field"', 1)[1].split("</div>\n</div>", 1)[0]
    assert "registrations/open.css" in html  # the rule hiding it for an individual owner (no inline script: CSP)
    assert "<script>" not in html.split("<main", 1)[1]


def test_received_document_holder_reads_naturally(client, clerk, order):
    registration = services.registration_open(actor=clerk, order=order)
    doc = registration.documents.first()
    services.registration_document_receive(
        actor=clerk, registration=registration, kind=doc.kind, holder=DEFAULT_HOLDER[doc.kind]
    )
    clerk.language = "en"  # in English the capitalised choice label read "Held by The customer"
    clerk.save(update_fields=["language"])
    client.force_login(clerk)
    html = _html(client.get(reverse("registration_detail", args=[registration.pk])))
    received = html.split(f'data-testid="received-{doc.kind}"', 1)[1].split("</span>", 1)[0]
    assert "The " in received and "Held by The" not in received
