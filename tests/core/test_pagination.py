import pytest

from dealerdesk.accounts.models import DealerGroup
from dealerdesk.core.pagination import keyset_page

pytestmark = pytest.mark.django_db


def test_keyset_pages_walk_every_row_once_newest_first():
    for i in range(23):
        DealerGroup.objects.create(name=f"g{i}", code=f"g{i}")
    seen, cursor = [], None
    while True:
        page = keyset_page(DealerGroup.objects.all(), cursor=cursor, size=10)
        seen.extend(g.code for g in page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == [f"g{i}" for i in reversed(range(23))]


@pytest.mark.parametrize("cursor", ["garbage", "e30", "W10", "!!!!"])
def test_a_tampered_cursor_starts_from_the_first_page(cursor):
    DealerGroup.objects.create(name="g", code="g")
    page = keyset_page(DealerGroup.objects.all(), cursor=cursor, size=10)
    assert [g.code for g in page.items] == ["g"]


def test_api_lists_use_cursor_pagination(store_a, make_staff, api):
    api.force_authenticate(make_staff("group_admin", store_a))
    body = api.get("/api/v1/stores/", {"page_size": 1}).json()
    assert set(body) == {"next", "previous", "results"}
    assert "count" not in body
