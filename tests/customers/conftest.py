"""People and a customer shared by the tests that follow one customer through the later apps (records on the card,
the access export). Modules that need other people define their own fixtures of the same names."""

import pytest

from tests.customers.factories import CustomerFactory


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="吴芳")


@pytest.fixture
def customer(store_a, consultant):
    return CustomerFactory(store=store_a, owner=consultant, name="陈小明", stage="ordered")
