"""Fixtures of the showroom tests: a store with a receptionist, three consultants, a manager, and a customer."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.customers.factories import CustomerFactory


@pytest.fixture
def receptionist(store_a, make_staff):
    return make_staff("receptionist", store_a, full_name="李静")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张经理")


def at_work(user):
    """The consultant logged in today (the rotation counts only consultants who came to work)."""
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return user


@pytest.fixture
def consultant(store_a, make_staff):
    return at_work(make_staff("consultant", store_a, full_name="王磊"))


@pytest.fixture
def consultants(store_a, make_staff, consultant):
    """Three consultants of store A at work today, in the order the rotation starts with (by id)."""
    return [
        consultant,
        at_work(make_staff("consultant", store_a, full_name="赵敏")),
        at_work(make_staff("consultant", store_a, full_name="孙强")),
    ]


@pytest.fixture
def customer(store_a, consultant):
    return CustomerFactory(store=store_a, owner=consultant, name="陈小明", mobile="+8613900001111")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
