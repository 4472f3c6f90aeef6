import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are matched in English, so the tests hold once the Chinese translations are compiled."""
    with translation.override("en"):
        yield
