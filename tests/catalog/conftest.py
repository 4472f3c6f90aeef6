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
