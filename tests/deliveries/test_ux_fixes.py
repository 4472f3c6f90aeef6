"""UX review fixes on the delivery pages: the signing card only once the handover is complete, unpaid orders marked in
the booking dropdown, links to the order and registration, confirmations on destructive forms, the photo card."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerdesk.deliveries.choices import ExplanationItem
from dealerdesk.deliveries.models import Delivery
from dealerdesk.registrations import services as registration_services
from dealerdesk.sales.choices import LoanStatus, PaymentMethod
from tests.deliveries.factories import D, GiftItemFactory, booked, explained, prepared, ready_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


def _html(response) -> str:
    return response.content.decode()


def _testid(html: str, testid: str) -> str:
    """The opening tag carrying `data-testid`, or "" (to assert on its attributes)."""
    match = re.search(r"<[^>]*data-testid=\"" + re.escape(testid) + r"\"[^>]*>", html)
    return match.group(0) if match else ""


# ---------------------------------------------------------------- 1. handover → signing


def test_signing_card_waits_for_every_explanation_item_and_the_odometer(client, store_a, consultant, clerk):
    delivery = prepared(store_a, consultant, clerk)
    client.force_login(consultant)
    url = reverse("delivery_detail", args=[delivery.pk])
    # nothing recorded yet: a hint listing what is missing, no signing card
    html = _html(client.get(url))
    assert 'data-testid="confirm-form"' not in html
    assert 'data-testid="confirm-missing"' in html
    # half the items ticked and the odometer typed: still no signing card, and the save says how many are left
    half = ExplanationItem.values[: len(ExplanationItem.values) // 2]
    response = client.post(reverse("delivery_handover", args=[delivery.pk]), {"explained": half, "odometer_km": "12"})
    assert response.status_code == 302
    left = len(ExplanationItem.values) - len(half)
    saved = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(re.search(rf"\b{left}\b", m) for m in saved), saved
    html = _html(client.get(url))
    assert 'data-testid="confirm-form"' not in html
    hint = html.split('data-testid="confirm-missing"', 1)[1].split("</div>", 1)[0]
    assert hint.count("<li>") == left
    # every item ticked: the signing card, no hint
    response = client.post(
        reverse("delivery_handover", args=[delivery.pk]),
        {"explained": list(ExplanationItem.values), "odometer_km": "12"},
    )
    assert response.status_code == 302
    html = _html(client.get(url))
    assert 'data-testid="confirm-form"' in html and 'data-testid="confirm-missing"' not in html


def test_a_complete_handover_save_counts_nothing_left(client, store_a, consultant, clerk):
    delivery = prepared(store_a, consultant, clerk)
    client.force_login(consultant)
    response = client.post(
        reverse("delivery_handover", args=[delivery.pk]),
        {"explained": list(ExplanationItem.values), "odometer_km": "9"},
    )
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(messages) == 1 and not re.search(r"\d", messages[0]), messages


# ---------------------------------------------------------------- 2. booking dropdown


def test_booking_dropdown_disables_unpaid_orders_in_one_query(client, store_a, consultant, clerk):
    paid = ready_order(store_a, consultant)
    unpaid = ready_order(store_a, consultant, amount_paid=D("5000.00"))
    approved = ready_order(
        store_a,
        consultant,
        amount_paid=D("5000.00"),
        payment_method=PaymentMethod.LOAN,
        loan_status=LoanStatus.APPROVED,
    )
    refused = ready_order(
        store_a, consultant, amount_paid=D("5000.00"), payment_method=PaymentMethod.LOAN, loan_status=LoanStatus.REFUSED
    )
    client.force_login(clerk)
    html = _html(client.get(reverse("delivery_calendar")))

    def option(order) -> str:
        match = re.search(rf'<option value="{order.pk}"[^>]*>([^<]*)</option>', html)
        assert match, order.number
        return match.group(0)

    assert "disabled" not in option(paid) and "disabled" not in option(approved)
    assert "disabled" in option(unpaid) and " — " in option(unpaid)
    assert "disabled" in option(refused) and " — " in option(refused)
    assert option(unpaid) != option(refused).replace(refused.number, unpaid.number)  # each says its own reason
    # the list of orders does not grow with them: more unpaid orders, the same number of queries
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("delivery_calendar"))
    for _ in range(3):
        ready_order(store_a, consultant, amount_paid=D("0.00"))
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("delivery_calendar"))
    assert len(after) == len(before)


# ---------------------------------------------------------------- 3. links


def test_delivery_page_links_its_order_and_registration(client, store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    client.force_login(clerk)
    url = reverse("delivery_detail", args=[delivery.pk])
    html = _html(client.get(url))
    assert reverse("order_detail", args=[delivery.order_id]) in html
    assert 'data-testid="delivery-registration"' not in html
    registration = registration_services.registration_open(actor=clerk, order=delivery.order)
    with CaptureQueriesContext(connection) as queries:
        html = _html(client.get(url))
    assert reverse("registration_detail", args=[registration.pk]) in html
    assert 'data-testid="delivery-registration"' in html
    assert sum("registrations_registration" in q["sql"] for q in queries.captured_queries) == 1


# ---------------------------------------------------------------- 4. confirmations


def test_removing_a_gift_asks_first(client, store_a, consultant, clerk):
    delivery = prepared(store_a, consultant, clerk)
    gift = GiftItemFactory(store=store_a)
    delivery.gifts.create(gift=gift, quantity=1)
    client.force_login(consultant)
    html = _html(client.get(reverse("delivery_detail", args=[delivery.pk])))
    assert "data-confirm=" in _testid(html, f"gift-remove-{gift.pk}")


def test_removing_a_photo_asks_first(client, store_a, consultant, clerk, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from dealerdesk.deliveries import services

    settings.MEDIA_ROOT = tmp_path / "media"
    delivery = prepared(store_a, consultant, clerk)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    created, _refused = services.photos_upload(
        actor=consultant, delivery=delivery, files=[SimpleUploadedFile("a.png", buffer.getvalue(), "image/png")]
    )
    client.force_login(consultant)
    html = _html(client.get(reverse("delivery_detail", args=[delivery.pk])))
    form = re.search(r"<form[^>]*>(?:(?!</form>).)*photo-delete-" + str(created[0].pk), html, re.S)
    assert form and "data-confirm=" in form.group(0).split(">", 1)[0]


def test_retiring_a_gift_rule_asks_first(client, store_a, make_staff):
    admin = make_staff("store_admin", store_a)
    gift = GiftItemFactory(store=store_a)
    from dealerdesk.deliveries.models import GiftRule

    rule = GiftRule.objects.create(store=store_a, gift=gift, quantity=1)
    client.force_login(admin)
    html = _html(client.get(reverse("gift_list")))
    form = re.search(r"<form[^>]*>(?:(?!</form>).)*rule-retire-" + str(rule.pk), html, re.S)
    assert form and "data-confirm=" in form.group(0).split(">", 1)[0]


# ---------------------------------------------------------------- 8. + 9. photo card, PDI buttons


def test_photo_card_shows_an_empty_state_after_a_handover_without_photos(client, store_a, consultant, clerk):
    from dealerdesk.deliveries import services

    delivery = explained(store_a, consultant, clerk)
    client.force_login(consultant)
    url = reverse("delivery_detail", args=[delivery.pk])
    html = _html(client.get(url))
    # while it can still take photos, the optional hint sits in the photo card
    card = html.split('data-testid="handover-photos"', 1)[1].split('data-testid="photo-upload"', 1)[0]
    assert 'data-testid="photos-optional"' in card
    services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    html = _html(client.get(url))
    assert 'data-testid="handover-photos"' in html and 'data-testid="photos-empty"' in html
    assert 'data-testid="photos-optional"' not in html
    assert Delivery.objects.get(pk=delivery.pk).status == "handed_over"


def test_pdi_buttons_do_not_wrap(client, store_a, consultant, clerk):
    delivery = booked(store_a, consultant)
    client.force_login(clerk)
    html = _html(client.get(reverse("delivery_detail", args=[delivery.pk])))
    code = re.search(r'data-testid="pdi-pass-([^"]+)"', html).group(1)
    assert "btn-group" in _testid(html, f"pdi-buttons-{code}")
    assert "text-nowrap" in _testid(html, f"pdi-pass-{code}") and "text-nowrap" in _testid(html, f"pdi-fail-{code}")


# ---------------------------------------------------------------- 10. "Held by"


def test_document_holder_is_not_composed_into_a_sentence(client, store_a, consultant, clerk):
    from dealerdesk.deliveries.models import DeliveryDocument

    delivery = booked(store_a, consultant)
    doc = DeliveryDocument.objects.filter(delivery=delivery).first()
    DeliveryDocument.objects.filter(pk=doc.pk).update(holder="carmaker")
    clerk.language = "en"  # the page in English, where the capitalised choice label read "Held by The carmaker"
    clerk.save(update_fields=["language"])
    client.force_login(clerk)
    html = _html(client.get(reverse("delivery_detail", args=[delivery.pk])))
    holder = html.split('data-testid="document-holder"', 1)[1].split("</div>", 1)[0]
    assert "The carmaker" in holder and "Held by The" not in holder
    missing = html.split('data-testid="delivery-missing"', 1)[1].split("</div>", 1)[0]
    assert "The carmaker" in missing and "held by The" not in missing
