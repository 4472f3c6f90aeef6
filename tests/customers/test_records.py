"""The customer card lists the customer's test drives, orders, deliveries and registrations from the later apps
(customers.records), each linked, through the user's own scoping, in a bounded number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.customers.test_subject_sections import add_records

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def records_html(client, customer) -> str:
    response = client.get(reverse("customer_records", args=[customer.pk]), **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_card_lists_every_kind_of_record_linked(client, store_a, consultant, manager, clerk, customer):
    client.force_login(consultant)
    assert 'data-testid="customer-records-empty"' in records_html(client, customer)
    values = add_records(store_a, customer, consultant, manager, clerk, n=1)
    html = records_html(client, customer)
    # the order, its delivery and its registration carry the order's number
    assert html.count(f'data-record="{values["order"]}"') == 3
    assert "/test-drives/" in html and "/sales/" in html and "/deliveries/" in html and "/registrations/" in html
    assert values["plate"] in html and values["vin"] in html
    # the card points at it and offers to book a test drive
    card = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert reverse("customer_records", args=[customer.pk]) in card
    assert f"{reverse('testdrive_new')}?store={store_a.code}&amp;customer={customer.pk}" in card


def test_the_records_query_count_does_not_grow(client, store_a, consultant, manager, clerk, customer):
    client.force_login(manager)
    add_records(store_a, customer, consultant, manager, clerk, n=1)
    with CaptureQueriesContext(connection) as one:
        records_html(client, customer)
    for n in (2, 3):
        add_records(store_a, customer, consultant, manager, clerk, n=n)
    with CaptureQueriesContext(connection) as three:
        html = records_html(client, customer)
    assert html.count("data-record=") == 3 * 5  # each set: a test drive, two orders, a delivery, a registration
    assert len(three) == len(one)


def test_scoping_and_a_plain_request(client, store_a, store_b, make_staff, consultant, customer):
    client.force_login(make_staff("consultant", store_a))  # a colleague: not their customer
    assert client.get(reverse("customer_records", args=[customer.pk]), **HTMX).status_code == 404
    client.force_login(make_staff("sales_manager", store_b))
    assert client.get(reverse("customer_records", args=[customer.pk]), **HTMX).status_code == 404
    client.force_login(consultant)
    plain = client.get(reverse("customer_records", args=[customer.pk]))
    assert plain.status_code == 302 and plain["Location"].endswith(f"/customers/{customer.pk}/#records")


def test_timeline_entries_link_to_their_records(client, store_a, consultant, manager, clerk, customer):
    values = add_records(store_a, customer, consultant, manager, clerk, n=1)
    client.force_login(consultant)
    html = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert 'data-testid="timeline-link"' in html
    order_links = [a for a in html.split('href="')[1:] if a.startswith("/sales/")]
    assert order_links  # the order's steps link to the order page
    assert values["order"] in html
