"""The order and contract pages: list, new order from an offer, the order page's contract and payment steps, the
templates page and the archive. Query-count guards on every list and detail page."""

import base64
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.sales import contract_text, services
from dealerdesk.sales.models import Contract, ContractTemplate, Order
from tests.customers.factories import CustomerFactory
from tests.sales.helpers import PNG, accepted_offer, make_order, signed_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


def test_order_list_filters_and_runs_fixed_queries(client, store_a, consultant, manager, django_assert_max_num_queries):
    orders = [
        make_order(store_a, consultant, customer=CustomerFactory(store=store_a, owner=consultant)) for _ in range(3)
    ]
    services.order_cancel(actor=consultant, order=orders[0], reason="客户放弃")
    client.force_login(manager)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("order_list"))
    assert response.status_code == 200
    assert all(o.number in response.content.decode() for o in orders)
    filtered = client.get(reverse("order_list"), {"status": "cancelled"}).content.decode()
    assert orders[0].number in filtered and orders[1].number not in filtered
    assert orders[2].number in client.get(reverse("order_list"), {"q": orders[2].number}).content.decode()


def test_receptionist_has_no_order_list(client, store_a, make_staff):
    client.force_login(make_staff("receptionist", store_a))
    assert client.get(reverse("order_list")).status_code == 403


def test_new_order_page_from_an_accepted_offer(client, store_a, consultant):
    setup = accepted_offer(store_a, consultant)
    client.force_login(consultant)
    url = reverse("order_create") + f"?offer={setup.offer.pk}"
    page = client.get(url)
    assert page.status_code == 200 and setup.vehicle.vin in page.content.decode()
    bad = client.post(url, {"offer": setup.offer.pk, "planned_delivery_on": "2000-01-01", "deposit_amount": "5000"})
    assert bad.status_code == 400 and 'data-testid="error-planned_delivery_on"' in bad.content.decode()
    assert not Order.objects.exists()
    day = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    response = client.post(
        url,
        {
            "offer": setup.offer.pk,
            "stock_vehicle": setup.vehicle.pk,
            "planned_delivery_on": day,
            "delivery_place": "交车区",
            "deposit_amount": "5000",
            "payment_method": "full",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("order_detail", args=[order.pk])
    assert order.stock_vehicle_id == setup.vehicle.pk


def test_contract_flow_on_the_order_page(client, store_a, consultant, manager, django_assert_max_num_queries):
    order = make_order(store_a, consultant)
    client.force_login(consultant)
    detail = reverse("order_detail", args=[order.pk])
    preview = client.get(reverse("contract_preview", args=[order.pk]))
    assert preview.status_code == 200 and order.stock_vehicle.vin in preview.content.decode()
    client.post(reverse("contract_create", args=[order.pk]))
    contract = Contract.objects.get()
    assert contract.filled_at is not None
    with django_assert_max_num_queries(25):
        page = client.get(detail)
    assert 'data-testid="contract-submit"' in page.content.decode()
    client.post(reverse("contract_submit", args=[contract.pk]))
    wrong = client.post(reverse("contract_sign", args=[contract.pk]), {"party": "customer", "typed_name": "别人"})
    assert wrong.status_code == 400
    drawn = "data:image/png;base64," + base64.b64encode(PNG).decode()
    client.post(
        reverse("contract_sign", args=[contract.pk]),
        {"party": "customer", "typed_name": "陈小明", "signature_png": drawn},
    )
    client.post(reverse("contract_sign", args=[contract.pk]), {"party": "consultant"})
    page = client.get(detail).content.decode()
    assert 'data-testid="sign-manager"' not in page  # the consultant cannot sign for the store
    client.force_login(manager)
    assert 'data-testid="sign-manager"' in client.get(detail).content.decode()
    client.post(reverse("contract_sign", args=[contract.pk]), {"party": "manager"})
    contract.refresh_from_db()
    assert contract.status == "signed"
    page = client.get(detail).content.decode()
    assert contract.sha256 in page
    pdf = client.get(reverse("contract_pdf", args=[contract.pk]))
    assert pdf.status_code == 200 and pdf.content == bytes(contract.pdf)


def test_signed_contract_cannot_be_changed_through_the_pages(client, store_a, consultant, manager):
    order = make_order(store_a, consultant)
    contract = signed_contract(order, consultant, manager)
    client.force_login(manager)
    for name in ("contract_fill", "contract_reopen", "contract_discard", "contract_submit"):
        response = client.post(reverse(name, args=[contract.pk]), follow=True)
        assert response.status_code == 200
        assert "amendment" in response.content.decode() or "修订" in response.content.decode()
    response = client.post(reverse("contract_sign", args=[contract.pk]), {"party": "manager"})
    assert response.status_code == 302
    assert Contract.objects.get(pk=contract.pk).sha256 == contract.sha256
    assert Contract.objects.get(pk=contract.pk).body == contract.body


def test_payment_form_shows_field_errors_and_records(client, store_a, consultant, clerk):
    order = make_order(store_a, consultant)
    client.force_login(clerk)
    url = reverse("payment_create", args=[order.pk])
    bad = client.post(url, {"kind": "balance", "method": "cash", "receipt_number": "R1", "amount": "99999999"})
    assert bad.status_code == 400 and 'data-testid="error-amount"' in bad.content.decode()
    ok = client.post(url, {"kind": "deposit", "method": "wechat", "receipt_number": "R1", "amount": "5000"})
    assert ok.status_code == 302
    order.refresh_from_db()
    assert order.amount_paid == 5000


def test_cancel_from_the_page(client, store_a, consultant):
    order = make_order(store_a, consultant)
    client.force_login(consultant)
    bad = client.post(reverse("order_cancel", args=[order.pk]), {"reason": ""})
    assert bad.status_code == 400 and 'data-testid="error-reason"' in bad.content.decode()
    client.post(reverse("order_cancel", args=[order.pk]), {"reason": "客户放弃"})
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_other_consultant_gets_404(client, store_a, consultant, make_staff):
    order = make_order(store_a, consultant)
    client.force_login(make_staff("consultant", store_a))
    assert client.get(reverse("order_detail", args=[order.pk])).status_code == 404


def test_template_page_for_store_admins(client, store_a, consultant, make_staff, django_assert_max_num_queries):
    admin = make_staff("store_admin", store_a)
    client.force_login(consultant)
    assert client.get(reverse("contract_template_list")).status_code == 403
    client.force_login(admin)
    client.get(reverse("contract_template_list"))  # creates the default template on first use
    with django_assert_max_num_queries(14):
        page = client.get(reverse("contract_template_list"))
    assert page.status_code == 200 and "{{customer_name}}" in page.content.decode()
    template = services.contract_template_ensure_default(store_a)
    bad = client.post(reverse("contract_template_list"), {"template": template.pk, "body": "合同 {{bogus}}"})
    assert bad.status_code == 400 and 'data-testid="error-body"' in bad.content.decode()
    ok = client.post(
        reverse("contract_template_list"), {"template": template.pk, "body": "合同 {{total}}", "note": "简化"}
    )
    assert ok.status_code == 302 and template.versions.count() == 2
    # a second template (e.g. for financed purchases) is created from the page, starting from the standard text
    page = client.get(reverse("contract_template_list")).content.decode()
    assert 'data-testid="template-create"' in page and reverse("contract_template_create") in page
    created = client.post(reverse("contract_template_create"), {"store": store_a.pk, "name": "贷款购车合同"})
    assert created.status_code == 302
    financed = ContractTemplate.objects.get(store=store_a, name="贷款购车合同")
    assert financed.is_default is False and financed.versions.get().body == contract_text.DEFAULT_TEMPLATE.strip()


def test_archive_search_for_clerks(client, store_a, consultant, manager, clerk, django_assert_max_num_queries):
    contracts = [
        signed_contract(
            make_order(store_a, consultant, customer=CustomerFactory(store=store_a, owner=consultant, name="陈小明")),
            consultant,
            manager,
        )
        for _ in range(2)
    ]
    client.force_login(clerk)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("contract_archive"))
    assert all(c.number in page.content.decode() for c in contracts)
    vin = contracts[0].order.stock_vehicle.vin
    found = client.get(reverse("contract_archive"), {"vin": vin[-6:]}).content.decode()
    assert contracts[0].number in found and contracts[1].number not in found
    found = client.get(reverse("contract_archive"), {"number": contracts[1].number}).content.decode()
    assert contracts[1].number in found and contracts[0].number not in found
    by_name = client.get(reverse("contract_archive"), {"q": "陈小明"}).content.decode()
    assert all(c.number in by_name for c in contracts)
    client.force_login(consultant)
    assert client.get(reverse("contract_archive")).status_code == 403
