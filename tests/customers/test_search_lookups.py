"""Search is no oracle for a masked mobile (docs/decisions/0013): for a user who sees mobiles only masked, a mobile is
found by the whole number only, each such search is written to the access log as a lookup, and it is limited per
user — in the page, the htmx partial and the API alike."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dealerdesk.core.models import AccessLog
from dealerdesk.customers import search
from dealerdesk.customers.search import FullMobileLimit, SearchLimited, search_customers
from dealerdesk.customers.services import customer_create

pytestmark = pytest.mark.django_db

MOBILE, MASKED = "13800138000", "138****8000"
URL = "/api/v1/customers/search/"
HTMX = {"HTTP_HX_REQUEST": "true"}
# 10:00 in Shanghai (02:00 UTC): the start of a 10-minute window; the day's window runs from 00:00 UTC (08:00)
MORNING = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a)


@pytest.fixture
def customer(store_a, consultant):
    return customer_create(actor=consultant, store=store_a, name="张三丰", mobile=MOBILE)


@pytest.fixture
def reception(store_a, make_staff):
    return make_staff("receptionist", store_a)


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def _lookups():
    return list(AccessLog.objects.filter(kind=AccessLog.Kind.LOOKUP))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _exhaust(user, times: int) -> None:
    for _ in range(times):
        search_customers(user, "13900139999")


def test_reception_finds_a_caller_by_the_whole_mobile_and_the_lookup_is_logged(reception, customer):
    # when the receptionist types the whole mobile a caller dictates
    found = search_customers(reception, "138 0013 8000")

    # then the customer is found, and the access log says who looked up which customer by mobile
    assert found == [customer]
    (log,) = _lookups()
    assert (log.actor, log.target_type, log.target_id, log.store_id) == (
        reception,
        "customers.customer",
        str(customer.pk),
        customer.store_id,
    )
    assert (log.fields, log.row_count) == (["mobile"], 1)
    assert MOBILE not in log.reason and MOBILE[-4:] not in log.reason  # never the number typed


def test_a_miss_is_logged_too_for_a_miss_is_what_guessing_looks_like(reception, customer):
    assert search_customers(reception, "13800138001") == []
    (log,) = _lookups()
    assert (log.row_count, log.target_id, log.store_id) == (0, "", customer.store_id)
    assert search_customers(reception, "+86 138-0013-8000") == [customer]  # every spelling of the whole number
    assert search_customers(reception, "8613800138000") == [customer]
    assert len(_lookups()) == 3


def test_reception_cannot_find_a_mobile_by_its_first_digits(reception, customer, consultant):
    # a prefix would give the hidden digits away one at a time
    for prefix in ("13800", "1380013", "138001380"):
        assert search_customers(reception, prefix) == [], prefix
    # the last 4 digits show on the masked mobile anyway: found, and not a lookup
    assert search_customers(reception, "8000") == [customer]
    assert _lookups() == []
    # whoever may reveal the mobile still searches by prefix, unlogged
    assert search_customers(consultant, "1380013") == [customer]
    assert search_customers(consultant, MOBILE) == [customer]
    assert _lookups() == []


def test_roles_that_may_reveal_the_mobile_are_neither_logged_nor_limited(store_a, make_staff, customer, clock):
    manager = make_staff("sales_manager", store_a)
    for _ in range(search.FULL_MOBILE_LIMITS[0].searches + 5):
        assert search_customers(manager, MOBILE) == [customer]
    assert _lookups() == []


def test_a_consultant_who_is_also_receptionist_is_treated_as_reception(store_a, make_staff, customer):
    from tests.factories import MembershipFactory

    both = make_staff("consultant", store_a)
    MembershipFactory(user=both, store=store_a, role="receptionist")
    both = type(both).objects.get(pk=both.pk)
    assert search_customers(both, "1380013") == []
    assert search_customers(both, MOBILE) == [customer]
    assert len(_lookups()) == 1


def test_past_the_limit_the_api_refuses_with_429_and_a_translated_reason(api, store_a, make_staff, customer, clock):
    limit = search.FULL_MOBILE_LIMITS[0]
    english = make_staff("receptionist", store_a, language="en")
    chinese = make_staff("receptionist", store_a, language="zh-hans")
    for user in (english, chinese):
        api.force_login(user)  # a signed-in session: the answer is in the language of the user's profile
        # given as many searches by whole mobile as a desk may make in 10 minutes
        for _ in range(limit.searches):
            assert api.post(URL, {"q": MOBILE}, format="json").status_code == 200

        # when one more is made
        refused = api.post(URL, {"q": MOBILE}, format="json")

        # then it is refused, with when to try again, and nothing was searched or logged for it
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == "search_rate_limited" and body["retry_after"] == 600
        assert refused["Retry-After"] == "600"
        if user is english:
            assert "30 times in 10 minutes" in body["detail"] and "10:10" in body["detail"]
        else:
            assert "10 分钟" in body["detail"] and "30 次" in body["detail"] and "10:10" in body["detail"]
            assert not any(word in body["detail"] for word in ("search", "minutes", "mobile"))
    assert len(_lookups()) == 2 * limit.searches

    # other searches go on meanwhile: names and the last 4 digits are no lookup
    api.force_login(english)
    assert api.post(URL, {"q": "zsf"}, format="json").json()["results"][0]["id"] == customer.pk
    assert api.post(URL, {"q": "8000"}, format="json").status_code == 200

    # and 10 minutes later the desk searches by mobile again
    clock.shift(timedelta(minutes=10))
    again = api.post(URL, {"q": MOBILE}, format="json")
    assert again.status_code == 200 and again.json()["results"][0]["mobile"] == MASKED


def test_past_the_limit_the_page_and_the_htmx_partial_show_the_reason(store_a, make_staff, customer, clock):
    reception = make_staff("receptionist", store_a, language="en")
    _exhaust(reception, search.FULL_MOBILE_LIMITS[0].searches)
    client = _client(reception)

    page = client.post(reverse("customer_search"), {"q": MOBILE})
    assert page.status_code == 429 and page["Retry-After"] == "600"
    assert "30 times in 10 minutes" in page.content.decode()
    assert 'data-testid="search-error"' in page.content.decode()

    partial = client.post(reverse("customer_search"), {"q": MOBILE}, **HTMX)
    assert partial.status_code == 200 and partial["Retry-After"] == "600"  # htmx swaps only successful answers
    html = partial.content.decode()
    assert 'data-testid="search-error"' in html and "30 times in 10 minutes" in html
    assert MASKED not in html and 'data-testid="search-row"' not in html


def test_the_showroom_search_shows_the_refusal_too(store_a, make_staff, customer, clock):
    from dealerdesk.showroom import services as showroom

    reception = make_staff("receptionist", store_a, language="en")
    visit = showroom.visit_arrive(actor=reception, store=store_a)
    _exhaust(reception, search.FULL_MOBILE_LIMITS[0].searches)
    response = _client(reception).post(reverse("visit_customer_search", args=[visit.pk]), {"q": MOBILE}, **HTMX)
    assert response.status_code == 200 and "30 times in 10 minutes" in response.content.decode()


def test_a_day_has_its_own_limit(reception, customer, clock, monkeypatch):
    monkeypatch.setattr(
        search, "FULL_MOBILE_LIMITS", (FullMobileLimit(3, 600, "10 minutes"), FullMobileLimit(5, 86400, "a day"))
    )
    _exhaust(reception, 3)
    clock.shift(timedelta(minutes=10))
    _exhaust(reception, 2)
    clock.shift(timedelta(minutes=10))
    with pytest.raises(SearchLimited) as refused:
        search_customers(reception, MOBILE)
    assert refused.value.retry_after == (24 * 60 - 2 * 60 - 20) * 60  # until 00:00 UTC, 08:00 in China
    assert "08:00" in refused.value.message
    # the next day the count starts again
    clock.move_to(MORNING + timedelta(days=1))
    assert search_customers(reception, MOBILE) == [customer]
    assert len(_lookups()) == 6


def test_the_limit_is_per_user(store_a, make_staff, customer, clock):
    first, second = make_staff("receptionist", store_a), make_staff("receptionist", store_a)
    _exhaust(first, search.FULL_MOBILE_LIMITS[0].searches)
    with pytest.raises(SearchLimited):
        search_customers(first, MOBILE)
    assert search_customers(second, MOBILE) == [customer]


def test_the_access_log_names_the_kind_in_the_readers_language(reception, customer):
    from django.contrib.auth import get_user_model
    from django.utils import translation

    search_customers(reception, MOBILE)
    log = AccessLog.objects.get()
    with translation.override("zh-hans"):
        assert log.get_kind_display() == "查询"
    with translation.override("en"):
        assert log.get_kind_display() == "Lookup"
    root = get_user_model().objects.create_superuser("root", "root@example.com", "x", language="zh-hans")
    page = _client(root).get(reverse("admin:core_accesslog_changelist"))
    assert page.status_code == 200 and '<td class="field-kind">查询</td>' in page.content.decode()
