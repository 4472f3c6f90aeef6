import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids), whatever translations are compiled."""
    with translation.override("en"):
        yield
