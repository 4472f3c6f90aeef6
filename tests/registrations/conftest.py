import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the source text), whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def api():
    """The API client asks for English, so messages can be asserted in the source text."""
    from rest_framework.test import APIClient

    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="吴芳")


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def order(store_a, consultant):
    from tests.customers.factories import CustomerFactory
    from tests.sales.factories import OrderFactory

    customer = CustomerFactory(store=store_a, owner=consultant, name="陈小明", city="深圳")
    return OrderFactory(store=store_a, customer=customer, consultant=consultant)
