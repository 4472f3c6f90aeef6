"""The customer page's feedback, data-request, export, erase and merge actions."""

import json

import pytest
from django.urls import reverse

from dealerdesk.core.models import AccessLog
from dealerdesk.customers.models import Customer, FeedbackItem, SubjectRequest
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a)


def test_panel_loads_lazily_and_as_a_page(store_a, manager, client, django_assert_max_num_queries):
    customer = CustomerFactory(store=store_a, name="张三丰")
    client.force_login(manager)
    detail = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert reverse("customer_more", args=[customer.pk]) in detail
    with django_assert_max_num_queries(10):
        panel = client.get(reverse("customer_more", args=[customer.pk]), HTTP_HX_REQUEST="true")
    assert 'data-testid="customer-more"' in panel.content.decode()
    assert "<html" not in panel.content.decode()
    page = client.get(reverse("customer_more", args=[customer.pk]))
    assert "<html" in page.content.decode()


def test_consultant_records_feedback_for_own_customer(store_a, make_staff, client):
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a, owner=consultant)
    client.force_login(consultant)
    client.post(reverse("customer_feedback_add", args=[customer.pk]), {"kind": "request", "body": "希望周末交车"})
    assert FeedbackItem.objects.get(customer=customer).body == "希望周末交车"
    response = client.post(
        reverse("customer_feedback_add", args=[customer.pk]), {"kind": "request", "body": ""}, follow=True
    )
    assert FeedbackItem.objects.count() == 1
    assert "客户" in response.content.decode()  # the error is shown in Chinese


def test_another_consultants_customer_is_404(store_a, make_staff, client):
    customer = CustomerFactory(store=store_a, owner=make_staff("consultant", store_a))
    client.force_login(make_staff("consultant", store_a))
    assert client.get(reverse("customer_more", args=[customer.pk])).status_code == 404
    assert (
        client.post(reverse("customer_feedback_add", args=[customer.pk]), {"kind": "remark", "body": "x"}).status_code
        == 404
    )


def test_manager_logs_a_request_exports_and_erases(store_a, manager, client):
    customer = CustomerFactory(store=store_a, name="张三丰", mobile="+8613800138000")
    client.force_login(manager)
    client.post(reverse("customer_subject_request", args=[customer.pk]), {"kind": "access", "details": "来电要求"})
    assert SubjectRequest.objects.get(customer=customer).status == "open"
    exported = client.get(reverse("customer_subject_export", args=[customer.pk]), {"format": "json"})
    assert json.loads(exported.content)["customer"]["mobile"] == "+8613800138000"
    assert AccessLog.objects.filter(kind="export", target_id=str(customer.pk)).exists()
    assert SubjectRequest.objects.get(customer=customer).status == "done"
    # erasing needs the confirmation box
    client.post(reverse("customer_erase", args=[customer.pk]), {"reason": "SR-1"})
    assert Customer.objects.get(pk=customer.pk).erased_at is None
    client.post(reverse("customer_erase", args=[customer.pk]), {"reason": "SR-1", "confirm": "yes"})
    erased = Customer.objects.get(pk=customer.pk)
    assert erased.erased_at is not None and erased.mobile == ""


def test_consultant_cannot_export_or_erase(store_a, make_staff, client):
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a, owner=consultant)
    client.force_login(consultant)
    client.get(reverse("customer_subject_export", args=[customer.pk]))
    client.post(reverse("customer_erase", args=[customer.pk]), {"reason": "x", "confirm": "yes"})
    assert not AccessLog.objects.exists()
    assert Customer.objects.get(pk=customer.pk).erased_at is None


def test_manager_merges_a_duplicate_by_its_number(store_a, store_b, manager, client):
    survivor = CustomerFactory(store=store_a, name="张三")
    duplicate = CustomerFactory(store=store_a, name="张三丰")
    elsewhere = CustomerFactory(store=store_b, name="李四")
    client.force_login(manager)
    client.post(reverse("customer_merge", args=[survivor.pk]), {"merged_id": f"#{duplicate.pk}"})
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id == survivor.pk
    client.post(reverse("customer_merge", args=[survivor.pk]), {"merged_id": str(elsewhere.pk)})
    assert Customer.objects.get(pk=elsewhere.pk).merged_into_id is None
