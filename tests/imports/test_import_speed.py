"""What the fast import path must keep: reserved ids that never collide, contact-point dedup, the same validation."""

import threading
import time
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from dealerdesk.core.crypto import blind_index
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.choices import ContactKind, Gender
from dealerdesk.customers.importer import _TEXT_LIMITS, FILLABLE, CustomerImporter, _iso_date, _key
from dealerdesk.customers.merge import customer_merge
from dealerdesk.customers.models import ContactPoint, Customer, FollowUp, SearchToken
from dealerdesk.customers.search import tokens_for
from dealerdesk.customers.services import ID_PURPOSE, clean_customer_fields
from dealerdesk.imports import services
from dealerdesk.imports.bulk import allocate_ids, insert_rows
from dealerdesk.imports.choices import ImportStatus
from dealerdesk.imports.models import ImportJob
from dealerdesk.imports.registry import RowError
from tests.customers.factories import CustomerFactory
from tests.factories import StoreFactory, staff
from tests.imports import as_upload, import_file, resident_id, write_csv, wrong_check_digit


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# ---------------------------------------------------------------- reserved ids


def test_ids_reserved_for_a_batch_never_collide_with_a_customer_created_meanwhile(committed_db):
    # given a store, an import batch that reserves three ids, and a receptionist registering a walk-in meanwhile
    store = StoreFactory()
    reserved: list[int] = []
    errors: list[Exception] = []
    allocated, receptionist_started = threading.Event(), threading.Event()

    def import_batch():
        try:
            with transaction.atomic():
                reserved.extend(allocate_ids(Customer, 3))
                allocated.set()
                receptionist_started.wait(5)
                time.sleep(0.3)  # the walk-in is being written now (or waits for the write lock on SQLite)
                insert_rows(
                    Customer,
                    ["id", "name", "mobile"],
                    [(pk, f"导入{i}", f"+861380013800{i}") for i, pk in enumerate(reserved)],
                    constants={"store_id": store.pk},
                )
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    def walk_in():
        try:
            allocated.wait(5)
            receptionist_started.set()
            Customer.objects.create(store=store, name="到店客户", mobile="+8613900139000")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=import_batch), threading.Thread(target=walk_in)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then both commit: the batch with exactly the ids it reserved, the walk-in with another one
    assert errors == []
    ids = dict(Customer.objects.filter(store=store).values_list("name", "pk"))
    assert [ids[f"导入{i}"] for i in range(3)] == reserved
    assert ids["到店客户"] not in reserved
    assert reserved == list(range(reserved[0], reserved[0] + 3)) or connection.vendor == "postgresql"


def test_an_import_running_while_customers_are_registered_links_every_token_and_follow_up_to_its_customer(
    committed_db, monkeypatch, tmp_path
):
    # given an import of 40 rows in batches of 10, while reception registers 10 other customers one by one
    monkeypatch.setattr(CustomerImporter, "batch_size", 10)
    store = StoreFactory()
    manager = staff("sales_manager", store)
    receptionist = staff("receptionist", store)
    path = write_csv(tmp_path / "c.csv", ["姓名", "手机"], [[f"导入{i}", f"138001{i:05d}"] for i in range(40)])
    job = services.import_upload(actor=manager, store=store, kind="customers", upload=as_upload(path))
    job = services.import_set_mapping(actor=manager, job=job, mapping=job.mapping)
    job = services.import_start(actor=manager, job=job, dry_run=False)  # queued: run below in a thread
    errors: list[Exception] = []
    started = threading.Event()

    def run_import():
        try:
            started.set()
            services.import_run(job.pk, dry_run=False, token=job.run_token)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    def register():
        try:
            started.wait(5)
            for i in range(10):
                customer_services.customer_create(
                    actor=receptionist, store=store, name=f"到店{i}", mobile=f"139001{i:05d}"
                )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_import), threading.Thread(target=register)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then all 50 exist once, and each imported customer has its own tokens and one first follow-up
    assert errors == []
    job.refresh_from_db()
    assert (job.status, job.created, job.rejected) == (ImportStatus.DONE, 40, 0), job.error_summary
    customers = list(Customer.objects.filter(store=store))
    assert len(customers) == 50 and len({c.mobile for c in customers}) == 50
    for customer in customers:
        stored = set(SearchToken.objects.filter(customer=customer).values_list("token", flat=True))
        assert stored == tokens_for(customer, vehicles=[])
        if customer.name.startswith("导入"):
            follow_up = FollowUp.objects.get(customer=customer)
            assert follow_up.store_id == store.pk and customer.next_follow_up_at == follow_up.due_at


@pytest.mark.django_db
def test_reserved_ids_are_ascending_and_after_every_id_ever_used(store_a):
    # given customers, the newest of them deleted
    first, last = CustomerFactory(store=store_a), CustomerFactory(store=store_a)
    highest = last.pk
    Customer.objects.filter(pk=last.pk).delete()

    with transaction.atomic():
        ids = allocate_ids(Customer, 4)

    # then the ids are new ones: a deleted customer's id is not given again (audit entries still name it)
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert min(ids) > highest > first.pk


@pytest.mark.django_db
def test_a_row_that_breaks_a_unique_index_during_the_bulk_insert_is_an_integrity_error(store_a):
    # given a customer with a mobile, then a bulk insert (COPY on PostgreSQL) of another live one with it
    CustomerFactory(store=store_a, mobile="+8613800138000")

    # then Django's IntegrityError is raised, which makes the import retry the batch after looking up again
    with pytest.raises(IntegrityError), transaction.atomic():
        ids = allocate_ids(Customer, 1)
        insert_rows(
            Customer, ["id", "name", "mobile"], [(ids[0], "重复", "+8613800138000")], constants={"store_id": store_a.pk}
        )


@pytest.mark.django_db
def test_bulk_inserted_values_read_back_as_the_model_stores_them(store_a):
    # given a customer inserted in bulk with an encrypted ID, a date, tags and JSON defaults
    id_number = resident_id("11010519491231002")
    with transaction.atomic():
        ids = allocate_ids(Customer, 2)
        insert_rows(
            Customer,
            ["id", "name", "mobile", "birthday", "tags", "id_number", "id_number_index"],
            [
                (ids[0], "甲", "+8613800138000", date(1949, 12, 31), ["VIP", "试驾"], id_number, "x1"),
                (ids[1], "乙", "+8613900139000", None, [], "", ""),
            ],
            constants={"store_id": store_a.pk, "next_follow_up_at": timezone.now()},
        )

    # then the ORM reads the same values back
    first, second = Customer.objects.get(pk=ids[0]), Customer.objects.get(pk=ids[1])
    assert (first.birthday, first.tags, first.id_number) == (date(1949, 12, 31), ["VIP", "试驾"], id_number)
    assert (second.birthday, second.tags, second.id_number, second.gender) == (None, [], "", Gender.UNKNOWN)
    assert Customer.objects.filter(store=store_a, tags__1="试驾").get() == first  # stored as JSON, not text


# ---------------------------------------------------------------- contact points


@pytest.mark.django_db
def test_a_mobile_kept_as_a_contact_point_by_a_merge_matches_the_surviving_customer(
    tmp_path, store_a, django_capture_on_commit_callbacks
):
    # given two customers merged: the survivor keeps the other's mobile as a contact point
    manager = staff("sales_manager", store_a, language="zh-hans")
    survivor = CustomerFactory(store=store_a, name="张三", mobile="+8613800138000", city="")
    merged = CustomerFactory(store=store_a, name="张三", mobile="+8613900139000")
    customer_merge(actor=manager, survivor=survivor, merged=merged)
    assert ContactPoint.objects.filter(customer=survivor, kind=ContactKind.MOBILE, value=merged.mobile).exists()
    path = write_csv(tmp_path / "cp.csv", ["姓名", "手机", "城市"], [["张三", "139 0013 9000", "深圳"]])

    # when a file with the old mobile is checked, then imported
    dry = import_file(manager, store_a, path, django_capture_on_commit_callbacks, dry_run=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_start(actor=manager, job=dry, dry_run=False)
    done = ImportJob.objects.get(pk=dry.pk)

    # then no new customer: the survivor gets the blank city filled, as the dry run said
    assert (dry.created, dry.merged) == (0, 1)
    assert (done.created, done.merged, done.rejected) == (0, 1, 0)
    survivor.refresh_from_db()
    assert survivor.city == "深圳" and survivor.mobile == "+8613800138000"
    assert Customer.objects.filter(store=store_a, merged_into__isnull=True).count() == 1


@pytest.mark.django_db
def test_a_second_mobile_added_by_hand_matches_its_customer_and_a_contact_point_elsewhere_does_not(
    tmp_path, store_a, store_b, django_capture_on_commit_callbacks
):
    # given a customer of store A with a second mobile, and a customer of store B with another as a contact point
    manager = staff("sales_manager", store_a)
    customer = CustomerFactory(store=store_a, name="李四", mobile="+8613800138000")
    customer_services.contact_point_add(actor=manager, customer=customer, kind="mobile", value="13700137000")
    elsewhere = CustomerFactory(store=store_b, mobile="+8613500135000")
    ContactPoint.objects.create(store=store_b, customer=elsewhere, kind="mobile", value="+8613600136000")
    rows = [["李四", "13700137000", "VIP"], ["王五", "13600136000", ""]]
    path = write_csv(tmp_path / "cp.csv", ["姓名", "手机", "标签"], rows)

    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    # then the second mobile is the same person; another store's contact point is no one in this store
    assert (job.created, job.merged, job.rejected) == (1, 1, 0)
    customer.refresh_from_db()
    assert customer.tags == ["VIP"] and customer.mobile == "+8613800138000"
    assert Customer.objects.filter(store=store_a, mobile="+8613600136000", name="王五").exists()


# ---------------------------------------------------------------- validation is unchanged


def _reference_parse(importer: CustomerImporter, number: int, values: dict[str, str]):
    """The importer's row validation as it was before the fast path: the whole row through clean_customer_fields."""
    errors: list[RowError] = []
    data: dict[str, Any] = {}
    record: dict[str, Any] = {}
    for field, value in {"name": "", "mobile": "", **values}.items():
        if field == "mobile":
            mobile, messages = importer._mobile(value) if value else (None, None)
            if messages:
                errors.append(RowError(number, field, messages[0]))
            elif mobile:
                record["mobile"] = mobile
            else:
                data["mobile"] = ""
        elif field == "gender":
            data["gender"] = importer.genders.get(_key(value), value) if value else ""
        elif field == "source":
            data["source"] = importer.sources.get(_key(value), value) if value else ""
        elif field == "birthday":
            data["birthday"] = _iso_date(value)
        elif field == "intent_grade":
            grade = _key(value).upper().removesuffix("级")
            if grade and grade not in importer.grades:
                errors.append(
                    RowError(
                        number,
                        field,
                        gettext("Unknown intent grade “%(grade)s”; use one of %(codes)s.")
                        % {"grade": value, "codes": " ".join(sorted(importer.grades))},
                    )
                )
            record["intent_grade"] = grade
        elif field == "owner":
            owner = importer.consultants.get(_key(value)) if value else None
            if value and owner is None:
                errors.append(
                    RowError(
                        number,
                        field,
                        gettext("“%(name)s” is not a sales consultant of this store; use their username or full name.")
                        % {"name": value},
                    )
                )
            elif owner == "ambiguous":
                errors.append(
                    RowError(
                        number,
                        field,
                        gettext("Several consultants are called “%(name)s”; use the username instead.")
                        % {"name": value},
                    )
                )
            else:
                record["owner_id"] = owner
        elif field in _TEXT_LIMITS and len(value) > _TEXT_LIMITS[field]:
            try:
                MaxLengthValidator(_TEXT_LIMITS[field])(value)
            except ValidationError as exc:
                errors.append(RowError(number, field, exc.messages[0]))
        else:
            data[field] = value
    try:
        cleaned = clean_customer_fields(data)
    except ValidationError as exc:
        errors.extend(RowError(number, field, messages[0]) for field, messages in exc.message_dict.items())
        cleaned = {}
    if errors:
        return None, set(), errors
    birthday_from_id = cleaned.pop("_birthday_from_id", None)
    record.update(cleaned)
    if birthday_from_id and not record.get("birthday"):
        record["birthday"] = birthday_from_id
    id_number = record.get("id_number", "")
    if id_number:
        record["id_number_index"] = blind_index(id_number, purpose=ID_PURPOSE)
        if record.get("gender", Gender.UNKNOWN) == Gender.UNKNOWN:
            record["gender"] = Gender.MALE if int(id_number[16]) % 2 else Gender.FEMALE
    given = {f for f in FILLABLE if record.get(f) not in (None, "", Gender.UNKNOWN)}
    return record, given, []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_row_gets_the_same_record_and_the_same_messages_as_the_whole_row_validation(store_a, language):
    # given rows with every kind of value and mistake, some repeated (the fast path remembers repeated values)
    manager = staff("sales_manager", store_a)
    staff("consultant", store_a, username="gu", full_name="顾问甲")
    staff("consultant", store_a, username="gu2", full_name="同名")
    staff("consultant", store_a, username="gu3", full_name="同名")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    valid_id = resident_id("44030519900101123")
    rows = [
        {"name": "张三", "mobile": "13800138000", "gender": "男", "birthday": "1990-05-01", "tags": "VIP，试驾"},
        {"name": "  Ｗａｎｇ　Ｌｅｉ ", "mobile": "＋86 139-0013-9000", "source": "汽车之家", "city": "深圳"},
        {"name": "", "mobile": "", "gender": "?", "source": "抖音", "birthday": "bad"},
        {
            "name": "长" * 61,
            "mobile": "12345",
            "birthday": tomorrow,
            "id_number": wrong_check_digit("11010519491231002"),
        },
        {"name": "周", "mobile": "13700137000", "id_number": valid_id.lower(), "intent_grade": "a级", "owner": "GU"},
        {"name": "周", "mobile": "13700137000", "id_number": valid_id, "birthday": "1899-12-31", "owner": "同名"},
        {"name": "吴", "mobile": "+8613600136000", "intent_grade": "Z", "owner": "nobody", "city": "深" * 61},
        {"name": "郑", "mobile": "13500135000", "tags": "x" * 21, "employer": "公司", "occupation": "医生"},
        {"name": "王", "mobile": "13400134000", "gender": "女士", "birthday": "2001年2月3日", "notes": " 备注 "},
        {"name": "王", "mobile": "13400134000", "gender": "女士", "birthday": "20010203", "campaign": "车展"},
        {"name": "冯", "mobile": "010 1234 5678", "gender": "female", "source": "referral", "tags": ""},
        {"name": "陈", "mobile": "13300133000", "id_number": "  ", "birthday": "", "tags": "a,a,b"},
    ]
    job = ImportJob.objects.create(store=store_a, kind="customers", created_by=manager, original_name="x.csv")

    with translation.override(language):
        fast = CustomerImporter(job, dry_run=True)
        fast.start()
        reference = CustomerImporter(job, dry_run=True)
        reference.start()
        for number, values in enumerate(rows + rows, start=2):  # twice: the second pass is answered from memory
            got = fast._parse(number, values)
            # then the record, the fields given and every message (field, text, order) are the same
            assert got == _reference_parse(reference, number, values), values


# ---------------------------------------------------------------- durability


def _durability_setting() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW synchronous_commit")
        else:
            cursor.execute("PRAGMA synchronous")
        return str(cursor.fetchone()[0])


def test_batches_relax_commit_durability_only_inside_their_own_transaction(committed_db, tmp_path):
    # given the connection's durability setting before an import of two batches
    store = StoreFactory()
    manager = staff("sales_manager", store)
    before = _durability_setting()
    path = write_csv(tmp_path / "c.csv", ["姓名", "手机"], [[f"客户{i}", f"138001{i:05d}"] for i in range(3)])
    job = services.import_upload(actor=manager, store=store, kind="customers", upload=as_upload(path))
    job = services.import_set_mapping(actor=manager, job=job, mapping=job.mapping)
    job = services.import_start(actor=manager, job=job, dry_run=False)

    services.import_run(job.pk, dry_run=False, token=job.run_token)

    # then the rows are committed and the connection is left as it was (SET LOCAL ends with each batch)
    job.refresh_from_db()
    assert (job.status, job.created) == (ImportStatus.DONE, 3)
    assert _durability_setting() == before
    assert before in {"on", "1"}  # PostgreSQL synchronous_commit on; SQLite synchronous NORMAL
