import pytest

from tests.customers.factories import CustomerFactory


@pytest.fixture
def care(store_a, make_staff):
    return make_staff("care_specialist", store_a, full_name="孙丽", language="zh-hans")


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟", language="zh-hans")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a)


@pytest.fixture
def owner(store_a, consultant):
    """A customer who bought a car: the consultant's, now an owner."""
    return CustomerFactory(store=store_a, owner=consultant, stage="owner", name="陈车主")
