"""The importer's duplicate answer (docs/decisions/0013): matching rows to customers already in the store is a lookup
written to the access log, and ID numbers are matched only for an importer whose role may reveal them."""

import pytest

from dealerdesk.core.models import AccessLog
from dealerdesk.customers import importer as customer_importer
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.models import Customer
from dealerdesk.imports.choices import ImportStatus
from dealerdesk.imports.models import ImportRowError
from tests.imports import import_file, resident_id, write_csv

pytestmark = pytest.mark.django_db

ID = resident_id("11010519491231002")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, language="zh-hans")


@pytest.fixture
def existing(store_a, manager):
    return customer_services.customer_create(
        actor=manager, store=store_a, name="陈一", mobile="13800138000", id_number=ID
    )


def _lookups():
    return list(AccessLog.objects.filter(kind="lookup").order_by("id"))


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_rows_matched_to_customers_of_the_store_are_logged_as_one_lookup_per_batch(
    tmp_path, store_a, manager, existing, dry_run, django_capture_on_commit_callbacks
):
    rows = [
        ["陈一", "13800138000", ""],  # the existing customer by mobile
        ["某人", "13900139000", ID],  # the existing customer by ID number
        ["新客户", "13700137000", ""],  # new
        ["新客户", "13700137000", ""],  # the new one again: not a lookup of the store's data
    ]
    path = write_csv(tmp_path / "c.csv", ["姓名", "手机", "身份证号"], rows)

    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks, dry_run=dry_run)

    assert job.status == (ImportStatus.DRY_RUN_DONE if dry_run else ImportStatus.DONE), job.error_summary
    [log] = _lookups()
    assert (log.actor, log.store_id, log.row_count, log.fields) == (manager, store_a.pk, 2, ["id_number", "mobile"])
    assert str(job.pk) in log.reason


def test_an_importer_who_may_not_reveal_id_numbers_cannot_match_by_them(
    tmp_path, store_a, manager, existing, monkeypatch, django_capture_on_commit_callbacks
):
    # given an importing role without the reveal permission (none of today's roles: the rule guards future ones)
    real = customer_importer.user_can
    monkeypatch.setattr(
        customer_importer, "user_can", lambda user, perm, obj=None: perm != "customers.reveal" and real(user, perm, obj)
    )
    path = write_csv(tmp_path / "c.csv", ["姓名", "手机", "身份证号"], [["某人", "13900139000", ID]])

    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    # then the row is rejected for its ID number whether or not the number is known: the counts confirm nothing
    assert (job.created, job.merged, job.unchanged, job.rejected) == (0, 0, 0, 1)
    [error] = ImportRowError.objects.filter(job=job)
    assert error.column == "身份证号" and "身份证" in error.reason
    assert not _lookups()
    assert Customer.objects.count() == 1
