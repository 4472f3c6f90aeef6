"""Idempotency keys are durable (issue #11.4): kept in the database, so the same key after a restart (the process
cache gone) or on another server replays the first object instead of creating a second; two racing requests with
one key make one object; a failed create leaves no key; keys are forgotten after 24 hours."""

import datetime
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from dealerdesk.core.models import IdempotencyKey
from dealerdesk.core.services import idempotency_keys_purge
from dealerdesk.customers.models import Customer
from tests.factories import DealerGroupFactory, StoreFactory, staff


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_the_same_key_after_a_restart_replays_the_first_customer(store_a, make_staff):
    reception = make_staff("receptionist", store_a)
    body = {"name": "幂等客户", "mobile": "13912345678"}
    first = _client(reception).post("/api/v1/customers/", body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    assert first.status_code == 201
    # when the app restarts (nothing left in the process cache) and the client retries with the same key
    cache.clear()
    again = _client(reception).post("/api/v1/customers/", body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    # then it gets the first customer back; one customer exists; the key is stored hashed, never as sent
    assert again.status_code in (200, 201) and again.json()["id"] == first.json()["id"]
    assert Customer.objects.filter(store=store_a).count() == 1
    row = IdempotencyKey.objects.get()
    assert row.object_id == first.json()["id"] and "create-1" not in row.key_hash
    # another body with the same key is refused, a bad body leaves no key behind
    clash = _client(reception).post(
        "/api/v1/customers/", {**body, "name": "别人"}, format="json", HTTP_IDEMPOTENCY_KEY="create-1"
    )
    assert clash.status_code == 422
    bad = _client(reception).post("/api/v1/customers/", {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="bad-1")
    assert bad.status_code == 400 and IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_forgotten_after_24_hours(store_a, make_staff):
    reception = make_staff("receptionist", store_a)
    _client(reception).post(
        "/api/v1/customers/", {"name": "旧键", "mobile": "13912345679"}, format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    row = IdempotencyKey.objects.get()
    assert idempotency_keys_purge(now=row.created_at + datetime.timedelta(hours=23)) == 0
    assert idempotency_keys_purge(now=row.created_at + datetime.timedelta(hours=25)) == 1


def test_two_racing_requests_with_one_key_make_one_customer(committed_db):
    store = StoreFactory(group=DealerGroupFactory(code="idem"), code="idem")
    reception = staff("receptionist", store, username="idem-r")
    barrier = threading.Barrier(6)
    answers: list[tuple[int, int | None]] = []

    def post() -> None:
        try:
            barrier.wait()
            response = _client(reception).post(
                "/api/v1/customers/",
                {"name": "并发客户", "mobile": "13912340000"},
                format="json",
                HTTP_IDEMPOTENCY_KEY="race-1",
            )
            answers.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {code for code, _id in answers} <= {200, 201}, answers
    assert len({pk for _code, pk in answers}) == 1
    assert Customer.objects.filter(store=store).count() == 1
