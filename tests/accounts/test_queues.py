"""Every role's queue is counted in the navigation and the manager is told the moment a contract waits for the
store's signature (issue #10.4); "mark all read" empties the inbox."""

import pytest
from django.urls import reverse

from dealerdesk.accounts.queues import nav_counts, waiting_for
from dealerdesk.core.models import Notification
from dealerdesk.offers.choices import OfferStatus
from dealerdesk.offers.models import Offer
from dealerdesk.sales import services as sales_services
from tests.sales.helpers import accepted_offer, make_order, submitted_contract

pytestmark = pytest.mark.django_db


def _counts(user) -> dict[str, int]:
    return {w.queue.code: w.count for w in waiting_for(user)}


def test_the_manager_sees_offers_and_contracts_waiting_and_is_told_when_a_contract_needs_the_store(
    client, store_a, store_b, make_staff
):
    consultant = make_staff("consultant", store_a)
    manager = make_staff("sales_manager", store_a)
    other_manager = make_staff("sales_manager", store_b)
    # given two offers of store A waiting for approval and one of store B
    for store, seller in ((store_a, consultant), (store_a, consultant), (store_b, make_staff("consultant", store_b))):
        offer = accepted_offer(store, seller).offer
        Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.PENDING_APPROVAL)
    assert _counts(manager)["offers_to_approve"] == 2
    assert _counts(other_manager)["offers_to_approve"] == 1
    # when the customer and the consultant sign a contract
    contract = submitted_contract(make_order(store_a, consultant), consultant)
    name = contract.order.customer.name
    sales_services.contract_sign(actor=consultant, contract=contract, party="customer", typed_name=name)
    assert not Notification.objects.filter(recipient_user=manager, kind="contract.awaiting_store_signature").exists()
    sales_services.contract_sign(actor=consultant, contract=contract, party="consultant")
    # then the manager is told at once, and it is counted on the manager desk; the other store's manager is not
    told = Notification.objects.get(recipient_user=manager, kind="contract.awaiting_store_signature")
    assert contract.number in told.subject and told.channel == "in_app"
    assert not Notification.objects.filter(recipient_user=other_manager, kind="contract.awaiting_store_signature")
    assert _counts(manager)["contracts_to_sign"] == 1
    assert _counts(other_manager)["contracts_to_sign"] == 0
    # the navigation badge adds the desk's queues up, loaded with the inbox bell
    client.force_login(manager)
    badge = client.get(reverse("inbox_badge"), HTTP_HX_REQUEST="true", HTTP_X_DEALERDESK_BACKGROUND="1")
    total = nav_counts(waiting_for(manager))["manager_desk"]
    assert total >= 3
    assert 'id="nav-count-manager_desk" hx-swap-oob="true"' in badge.content.decode()
    assert f">{total}</span>" in badge.content.decode()
    # and the desk lists each queue with its count and where to act on it
    desk = client.get(reverse("manager_desk")).content.decode()
    assert 'data-testid="desk-queue-offers_to_approve"' in desk and "?status=pending_approval" in desk
    assert 'data-testid="desk-queue-contracts_to_sign"' in desk
    # when the manager signs, the contract leaves the queue
    sales_services.contract_sign(actor=manager, contract=contract, party="manager")
    assert _counts(manager)["contracts_to_sign"] == 0


def test_each_role_gets_only_its_own_queues(store_a, make_staff):
    assert set(_counts(make_staff("consultant", store_a))) >= {"my_followups", "my_test_drives_today"}
    assert "offers_to_approve" not in _counts(make_staff("consultant", store_a))
    assert set(_counts(make_staff("admin_clerk", store_a))) >= {"registrations_due", "deliveries_today"}
    assert set(_counts(make_staff("receptionist", store_a))) == {"visitors_waiting"}


def test_mark_all_read_empties_the_inbox(client, store_a, make_staff):
    from dealerdesk.core.services import notification_queue

    user = make_staff("consultant", store_a)
    for i in range(3):
        notification_queue(channel="in_app", recipient_user=user, subject=f"消息{i}", body="/", store=store_a)
    client.force_login(user)
    response = client.post(reverse("inbox_mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient_user=user, read_at__isnull=True).exists()
