"""UX review fixes on the order pages: links to the delivery and registration, confirmations on destructive forms,
the order list's vehicle column and search, and the amounts (cancelled orders, the unpaid banner, untracked pay)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealerdesk.registrations import services as registration_services
from dealerdesk.sales import services
from dealerdesk.sales.choices import DepositDecision, LoanStatus, OrderStatus, PaymentMethod
from dealerdesk.sales.models import Payment
from tests.catalog.factories import StockVehicleFactory
from tests.customers.factories import CustomerFactory
from tests.deliveries.factories import booked
from tests.sales.factories import OrderFactory
from tests.sales.helpers import make_order

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _tag(html: str, testid: str) -> str:
    """The opening tag carrying `data-testid`, or ""."""
    match = re.search(r"<[^>]*data-testid=\"" + re.escape(testid) + r"\"[^>]*>", html)
    return match.group(0) if match else ""


def _order(store, consultant, **fields):
    customer = fields.pop("customer", None) or CustomerFactory(store=store, owner=consultant)
    return OrderFactory(store=store, customer=customer, consultant=consultant, **fields)


# ---------------------------------------------------------------- 3. links


def test_order_page_links_its_delivery_and_registration(client, store_a, consultant, clerk):
    order = _order(store_a, consultant)
    client.force_login(consultant)
    url = reverse("order_detail", args=[order.pk])
    html = _html(client.get(url))
    assert 'data-testid="order-delivery-link"' not in html and 'data-testid="order-registration-link"' not in html
    delivery = booked(store_a, consultant, order=order)
    registration = registration_services.registration_open(actor=clerk, order=order)
    with CaptureQueriesContext(connection) as queries:
        html = _html(client.get(url))
    assert reverse("delivery_detail", args=[delivery.pk]) in _tag(html, "order-delivery-link")
    assert reverse("registration_detail", args=[registration.pk]) in _tag(html, "order-registration-link")
    sqls = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "deliveries_delivery"' in s for s in sqls) == 1
    assert sum('FROM "registrations_registration"' in s for s in sqls) == 1
    # the delivery's blobs are not read for a link
    assert not any("confirmation_pdf" in s for s in sqls)


# ---------------------------------------------------------------- 4. confirmations


def test_cancel_and_discard_ask_first(client, store_a, consultant):
    order = make_order(store_a, consultant)
    services.contract_create(actor=consultant, order=order)
    client.force_login(consultant)
    html = _html(client.get(reverse("order_detail", args=[order.pk])))
    assert "data-confirm=" in _tag(html, "cancel-form")
    discard = re.search(r"<form[^>]*>(?:(?!</form>).)*data-testid=\"contract-discard\"", html, re.S)
    assert discard and "data-confirm=" in discard.group(0).split(">", 1)[0]


# ---------------------------------------------------------------- 5. + 6. order list


def test_order_list_vehicle_column_is_short(client, store_a, consultant):
    order = _order(store_a, consultant)
    client.force_login(consultant)
    html = _html(client.get(reverse("order_list")))
    cell = re.search(r'data-testid="order-vehicle"[^>]*>([^<]*)</td>', html).group(1).strip()
    trim = order.trim
    assert cell == f"{trim.series.name} {trim.name}"
    assert str(trim.series.brand) not in cell
    assert "text-nowrap" in _tag(html, "order-vin")
    assert 'class="table-responsive"' in html


def test_order_search_matches_number_name_and_vin_tail(client, store_a, consultant):
    first = _order(
        store_a,
        consultant,
        customer=CustomerFactory(store=store_a, owner=consultant, name="欧阳娜娜"),
        stock_vehicle=StockVehicleFactory(store=store_a, vin="LSVAB2BT5PN123456"),
    )
    second = _order(
        store_a,
        consultant,
        customer=CustomerFactory(store=store_a, owner=consultant, name="司马光"),
        stock_vehicle=StockVehicleFactory(store=store_a, vin="LSVAB2BT5PN654321"),
    )
    client.force_login(consultant)

    def found(q: str) -> set[str]:
        html = _html(client.get(reverse("order_list"), {"q": q}))
        return {n for n in (first.number, second.number) if n in html}

    assert found(first.number) == {first.number}
    assert found("欧阳") == {first.number}
    assert found("娜娜") == set()  # a prefix of the name, not any part
    assert found("654321") == {second.number}
    assert found("lsvab2bt5pn123456") == {first.number}
    assert found("4321") == set()  # too short a tail to mean a VIN


# ---------------------------------------------------------------- 7. amounts


def test_cancelled_order_shows_what_happened_to_the_money_not_what_is_owed(client, store_a, consultant, manager):
    order = _order(store_a, consultant, amount_paid=D("0.00"), status=OrderStatus.DRAFT, signed_at=None)
    services.payment_record(
        actor=manager, order=order, kind="deposit", method="transfer", amount="5000.00", receipt_number="R1"
    )
    services.order_cancel(actor=consultant, order=order, reason="客户改主意", deposit_decision=DepositDecision.REFUND)
    client.force_login(consultant)
    html = _html(client.get(reverse("order_detail", args=[order.pk])))
    assert 'data-testid="order-due"' not in html
    assert 'data-testid="cancelled-received"' in html and 'data-testid="cancelled-to-refund"' in html
    to_refund = html.split('data-testid="cancelled-to-refund"', 1)[1].split("</tr>", 1)[0]
    assert "5,000.00" in to_refund


def test_unpaid_banner_formats_money_and_names_the_loan_only_when_financed(client, store_a, consultant):
    cash = _order(store_a, consultant, total=D("191584.00"), amount_paid=D("0.00"))
    financed = _order(
        store_a,
        consultant,
        total=D("191584.00"),
        amount_paid=D("0.00"),
        payment_method=PaymentMethod.LOAN,
        loan_status=LoanStatus.APPLIED,
    )
    consultant.language = "en"  # the banner's words are checked in the source language
    consultant.save(update_fields=["language"])
    client.force_login(consultant)
    cash_banner = _html(client.get(reverse("order_detail", args=[cash.pk])))
    loan_banner = _html(client.get(reverse("order_detail", args=[financed.pk])))
    cash_banner = cash_banner.split('data-testid="delivery-readiness"', 1)[1].split("</div>", 1)[0]
    loan_banner = loan_banner.split('data-testid="delivery-readiness"', 1)[1].split("</div>", 1)[0]
    assert "¥191,584.00" in cash_banner and "191584.00" not in cash_banner
    assert "¥191,584.00" in loan_banner
    assert "loan" not in cash_banner.lower() and "loan" in loan_banner.lower()


def test_paid_order_without_payment_rows_does_not_say_no_payment(client, store_a, consultant):
    order = _order(store_a, consultant, status=OrderStatus.DELIVERED)
    assert not Payment.objects.filter(order=order).exists() and order.amount_paid > 0
    client.force_login(consultant)
    html = _html(client.get(reverse("order_detail", args=[order.pk])))
    assert 'data-testid="payments-none"' not in html
    assert 'data-testid="payments-untracked"' in html
