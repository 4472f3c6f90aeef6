import pytest
from rest_framework.test import APIClient

from tests.factories import DealerGroupFactory, StoreFactory, staff


@pytest.fixture(autouse=True)
def _fresh_caches():
    """django-axes and throttles keep state in the cache; each test starts clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def group(db):
    return DealerGroupFactory(code="xy", name="星耀集团")


@pytest.fixture
def store_a(group):
    return StoreFactory(group=group, code="store-a", name="A店")


@pytest.fixture
def store_b(group):
    return StoreFactory(group=group, code="store-b", name="B店")


@pytest.fixture
def make_staff():
    return staff


@pytest.fixture
def api():
    return APIClient()
