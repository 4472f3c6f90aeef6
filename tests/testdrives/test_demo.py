"""The demo test drives: every status in both demo stores, today and the coming week, invariant kept, idempotent."""

import pytest

from dealerdesk.accounts.management.commands.demo_data import PEOPLE, STORES, demo_username
from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.catalog import demo as catalog_demo
from dealerdesk.customers import demo as customers_demo
from dealerdesk.testdrives import demo, selectors
from dealerdesk.testdrives.choices import TestDriveStatus
from dealerdesk.testdrives.models import TestDrive, TestDriveAgreement

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_stores():
    group = DealerGroup.objects.create(code="xingyao", name="星耀汽车集团")
    stores = [Store.objects.create(**{**spec, "group": group}) for spec in STORES]
    for index, store in enumerate(stores):
        for prefix, (role, *names) in PEOPLE.items():
            user = User.objects.create_user(demo_username(prefix, index), password="Demo@2026", full_name=names[index])
            Membership.objects.create(user=user, store=store, role=role)
    catalog_demo.load()
    customers_demo.load()
    return stores


def test_demo_bookings_cover_every_status_in_both_stores_and_load_once(demo_stores):
    created = demo.load()
    assert created >= 20
    for store in demo_stores:
        today = selectors.local_today(store)
        rows = TestDrive.objects.filter(store=store)
        assert set(rows.values_list("status", flat=True)) == set(TestDriveStatus.values), store.code
        days = {selectors.local_today(store, td.start_at) for td in rows}
        assert today in days and any(d > today for d in days)
        assert TestDriveAgreement.objects.filter(store=store, accepted_at__isnull=False).exists()
    assert selectors.overlap_violations() == 0
    assert demo.load() == 0  # idempotent
