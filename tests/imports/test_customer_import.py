"""Importing customers from real CSV and XLSX files: encodings, mapping, validation, dedup, dry run, re-runs."""

from datetime import date, timedelta

import pytest
from django.core.validators import MaxLengthValidator
from django.utils import timezone, translation

from dealerdesk.core.models import AuditEntry
from dealerdesk.core.tabular import TableError
from dealerdesk.customers.choices import FollowUpPurpose, FollowUpStatus
from dealerdesk.customers.importer import CustomerImporter
from dealerdesk.customers.models import Consent, Customer, FollowUp, SearchToken
from dealerdesk.customers.search import search_customers, tokens_for
from dealerdesk.imports import services
from dealerdesk.imports.choices import ImportStatus
from dealerdesk.imports.models import ImportJob, ImportRowError
from tests.customers.factories import CustomerFactory
from tests.imports import as_upload, import_file, resident_id, write_csv, write_xlsx, wrong_check_digit

pytestmark = pytest.mark.django_db

HEADERS = [
    "客户姓名",
    "手机号码",
    "性别",
    "出生日期",
    "来源",
    "城市",
    "身份证号",
    "意向级别",
    "销售顾问",
    "备注",
    "标签",
]
ID_1 = resident_id("11010519491231002")  # Beijing, born 1949-12-31, 17th digit 2: female
ROWS = [
    ["张三丰", "138 0013 8000", "男", "1990-05-01", "自然到店", "深圳", "", "H", "gu", "老客户", "VIP,试驾"],
    ["李小龙", "+86 139-0013-9000", "male", "1985/11/27", "汽车之家", "广州", "", "", "", "", ""],
    ["王菲", "13700137000", "", "", "懂车帝", "北京", ID_1, "A", "顾问甲", "", "老客户"],
    ["Wang Lei", "15000150000", "女", "2001年2月3日", "referral", "", "", "b", "", "", ""],
]
EXPECTED = {
    ("张三丰", "+8613800138000", "male", date(1990, 5, 1), "walk_in", "深圳", "H", "prospect", True),
    ("李小龙", "+8613900139000", "male", date(1985, 11, 27), "autohome", "广州", "N", "lead", False),
    ("王菲", "+8613700137000", "female", date(1949, 12, 31), "dongchedi", "北京", "A", "prospect", True),
    ("Wang Lei", "+8615000150000", "female", date(2001, 2, 3), "referral", "", "B", "prospect", False),
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, language="zh-hans")


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, username="gu", full_name="顾问甲")


def _customers(store) -> set[tuple]:
    return {
        (c.name, c.mobile, c.gender, c.birthday, c.source, c.city, c.intent_grade, c.stage, c.owner_id is not None)
        for c in Customer.objects.filter(store=store)
    }


def _reasons(job: ImportJob) -> list[tuple[int, str, str]]:
    return list(
        ImportRowError.objects.filter(job=job)
        .order_by("row_number", "id")
        .values_list("row_number", "column", "reason")
    )


@pytest.mark.parametrize("fmt", ["utf-8", "utf-8-sig", "gb18030", "xlsx"], ids=["utf8", "utf8-bom", "gb18030", "xlsx"])
def test_utf8_bom_gb18030_csv_and_xlsx_files_create_the_same_customers(
    tmp_path, store_a, manager, consultant, fmt, django_capture_on_commit_callbacks
):
    # given the same customers saved the ways Chinese Excel and other tools save them
    if fmt == "xlsx":
        rows = [[*row[:3], date(1990, 5, 1) if i == 0 else row[3], *row[4:]] for i, row in enumerate(ROWS)]
        path = write_xlsx(tmp_path / "客户.xlsx", HEADERS, rows)
    else:
        path = write_csv(tmp_path / "客户.csv", HEADERS, ROWS, encoding=fmt)

    # when it is imported
    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    # then every file gives the same four customers, owned by the consultant named by username or full name
    assert job.status == ImportStatus.DONE, job.error_summary
    assert _reasons(job) == []
    assert (job.total, job.created, job.rejected, job.progress) == (4, 4, 0, 4)
    assert _customers(store_a) == EXPECTED
    assert set(Customer.objects.exclude(owner=None).values_list("owner", flat=True)) == {consultant.pk}
    assert job.file.name == f"imports/{job.pk}/{path.name}"


def test_chinese_and_english_headers_are_recognised_and_the_mapping_can_be_adjusted(tmp_path, store_a, manager):
    # given a file with Chinese headers, English headers and one column nobody recognises
    headers = [
        "姓名",
        "mobile",
        "性别",
        "生日",
        "Source",
        "城市",
        "职业",
        "单位",
        "身份证",
        "意向级别",
        "owner",
        "备注",
        "标签",
        "活动",
        "微信号",
    ]
    path = write_csv(tmp_path / "leads.csv", headers, [["张三", "13800138000"] + [""] * 13])

    # when it is uploaded
    job = services.import_upload(actor=manager, store=store_a, kind="customers", upload=as_upload(path))

    # then the known columns are suggested and the unknown one is ignored until the user decides
    assert job.status == ImportStatus.UPLOADED
    assert job.mapping == {
        "姓名": "name",
        "mobile": "mobile",
        "性别": "gender",
        "生日": "birthday",
        "Source": "source",
        "城市": "city",
        "职业": "occupation",
        "单位": "employer",
        "身份证": "id_number",
        "意向级别": "intent_grade",
        "owner": "owner",
        "备注": "notes",
        "标签": "tags",
        "活动": "campaign",
        "微信号": None,
    }
    # and the user may send the wechat column to the notes and ignore the original notes
    job = services.import_set_mapping(actor=manager, job=job, mapping={**job.mapping, "备注": None, "微信号": "notes"})
    assert job.status == ImportStatus.MAPPED
    assert job.mapping["微信号"] == "notes" and job.mapping["备注"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"手机": None}, "Choose the column that holds"),
        ({"城市": "name"}, "are mapped to"),
        ({"城市": "shoe_size"}, "is not a field of this import"),
    ],
)
def test_a_mapping_without_a_required_field_or_with_a_field_twice_is_refused(
    tmp_path, store_a, manager, change, message
):
    path = write_csv(tmp_path / "c.csv", ["姓名", "手机", "城市"], [["张三", "13800138000", "深圳"]])
    job = services.import_upload(actor=manager, store=store_a, kind="customers", upload=as_upload(path))
    with translation.override("en"), pytest.raises(services.ValidationError) as caught:
        services.import_set_mapping(actor=manager, job=job, mapping={**job.mapping, **change})
    assert message in " ".join(caught.value.message_dict["mapping"])
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_bad_rows_are_rejected_with_row_column_and_reason_while_good_rows_are_kept(
    tmp_path, store_a, manager, django_capture_on_commit_callbacks
):
    # given a file whose rows 3–6 each have one mistake (row 7's 抖音 is one of the lead sources: issue #10.13)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    rows = [
        ["张三", "13800138000", "", "自然到店", ""],  # row 2: good
        ["李四", "12345", "", "自然到店", ""],  # row 3: not a mobile
        ["王五", "13900139000", "", "自然到店", wrong_check_digit("11010519491231002")],  # row 4: check digit
        ["赵六", "13700137000", tomorrow, "自然到店", ""],  # row 5: born tomorrow
        ["", "13600136000", "", "自然到店", ""],  # row 6: no name
        ["钱七", "13500135000", "", "抖音", ""],  # row 7: good
        ["孙八", "13400134000", "", "车展", ""],  # row 8: good
    ]
    path = write_csv(tmp_path / "bad.csv", ["姓名", "手机", "生日", "来源", "身份证号"], rows)

    # when it is imported by a Chinese-speaking manager
    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    # then the good rows are customers and each bad row is reported with its row, column and the validator's reason
    assert job.status == ImportStatus.DONE
    assert (job.total, job.created, job.rejected) == (7, 3, 4)
    assert set(Customer.objects.filter(store=store_a).values_list("name", flat=True)) == {"张三", "钱七", "孙八"}
    assert Customer.objects.get(store=store_a, name="钱七").source == "douyin"
    expected = [
        (3, "手机", "请输入有效的手机号码，例如 138 0013 8000。"),
        (4, "身份证号", "身份证号校验位不正确，请检查是否输错。"),
        (5, "生日", "生日不能晚于今天。"),
        (6, "姓名", "请输入客户姓名（只填姓氏也可以）。"),
    ]
    assert _reasons(job) == expected
    assert ImportRowError.objects.get(job=job, row_number=3).raw == {
        "姓名": "李四",
        "手机": "12345",
        "生日": "",
        "来源": "自然到店",
        "身份证号": "",
    }


def test_reasons_are_in_the_uploaders_language(tmp_path, store_a, make_staff, django_capture_on_commit_callbacks):
    # given a city longer than the 60 characters a customer's city may have
    path = write_csv(tmp_path / "long.csv", ["姓名", "手机", "城市"], [["张三", "13800138000", "深" * 61]])
    chinese = make_staff("store_admin", store_a, language="zh-hans")
    english = make_staff("store_admin", store_a, language="en")

    # when a Chinese and an English user import it
    reasons = {}
    for user in (chinese, english):
        job = import_file(user, store_a, path, django_capture_on_commit_callbacks)
        reasons[user.language] = _reasons(job)[0][2]

    # then each reads Django's own length message in their language
    with translation.override("en"):
        assert reasons["en"] == str(MaxLengthValidator(60).message % {"limit_value": 60, "show_value": 61})
    assert "60" in reasons["zh-hans"] and any("\u4e00" <= char <= "\u9fff" for char in reasons["zh-hans"])


def test_empty_rows_are_skipped_and_counted_not_reported(
    tmp_path, store_a, manager, django_capture_on_commit_callbacks
):
    rows = [["张三", "13800138000"], ["", ""], [" ", ""], ["李四", "13900139000"], ["", ""]]
    path = write_csv(tmp_path / "gaps.csv", ["姓名", "手机"], rows)

    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    assert (job.total, job.created, job.rejected, job.skipped_empty) == (2, 2, 0, 2)
    assert not ImportRowError.objects.filter(job=job).exists()


def test_a_dry_run_predicts_the_import_and_writes_no_customers(
    tmp_path, store_a, manager, django_capture_on_commit_callbacks
):
    # given a customer already in the store, and a file that repeats a person and has a bad row
    CustomerFactory(store=store_a, name="老客户", mobile="+8613800138000")
    rows = [
        ["老客户", "13800138000", "深圳"],  # fills the blank city: merged
        ["新客户", "13900139000", ""],  # created
        ["新客户", "13900139000", "广州"],  # the same person again, adds the city: updated
        ["坏号码", "123", ""],  # rejected
        ["新客户", "13900139000", "广州"],  # nothing new: unchanged
    ]
    path = write_csv(tmp_path / "dry.csv", ["姓名", "手机", "城市"], rows)
    customers_before = Customer.objects.count()

    # when a dry run is done
    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks, dry_run=True)

    # then it shows what would happen, and nothing but the rejected rows was written
    assert job.status == ImportStatus.DRY_RUN_DONE
    predicted = (job.total, job.created, job.updated, job.merged, job.unchanged, job.rejected)
    assert predicted == (5, 1, 1, 1, 1, 1)
    assert Customer.objects.count() == customers_before
    assert Customer.objects.get(mobile="+8613800138000").city == ""
    assert not FollowUp.objects.exists() and not AuditEntry.objects.filter(action="import.batch_committed").exists()
    assert [row for row, _c, _r in _reasons(job)] == [5]

    # and the import then does exactly that
    with django_capture_on_commit_callbacks(execute=True):
        services.import_start(actor=manager, job=job, dry_run=False)
    job.refresh_from_db()
    assert (job.total, job.created, job.updated, job.merged, job.unchanged, job.rejected) == predicted
    assert Customer.objects.get(mobile="+8613800138000").city == "深圳"
    assert Customer.objects.get(mobile="+8613900139000").city == "广州"


def test_a_dry_run_remembers_repeats_across_batches(
    tmp_path, store_a, manager, monkeypatch, django_capture_on_commit_callbacks
):
    # given batches of 2 rows and a person repeated two batches later
    monkeypatch.setattr(CustomerImporter, "batch_size", 2)
    CustomerFactory(store=store_a, name="老客户", mobile="+8613800138000")
    rows = [
        ["老客户", "13800138000", "深圳"],
        ["甲", "13900139000", ""],
        ["乙", "13700137000", ""],
        ["丙", "13600136000", ""],
        ["老客户", "13800138000", "深圳"],
        ["甲", "13900139000", "广州"],
    ]
    path = write_csv(tmp_path / "batches.csv", ["姓名", "手机", "城市"], rows)

    dry = import_file(manager, store_a, path, django_capture_on_commit_callbacks, dry_run=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_start(actor=manager, job=dry, dry_run=False)
    done = ImportJob.objects.get(pk=dry.pk)

    expected = (6, 3, 1, 1, 1, 0)  # total, created, updated, merged, unchanged, rejected
    assert (dry.total, dry.created, dry.updated, dry.merged, dry.unchanged, dry.rejected) == expected
    assert (done.total, done.created, done.updated, done.merged, done.unchanged, done.rejected) == expected
    assert AuditEntry.objects.filter(action="import.batch_committed", target_id=str(done.pk)).count() == 3
    assert AuditEntry.objects.filter(action="import.completed", target_id=str(done.pk)).count() == 1


def test_importing_the_same_file_twice_creates_nothing_new(
    tmp_path, store_a, manager, consultant, django_capture_on_commit_callbacks
):
    path = write_csv(tmp_path / "again.csv", HEADERS, ROWS, encoding="utf-8-sig")
    first = import_file(manager, store_a, path, django_capture_on_commit_callbacks)
    counts = (Customer.objects.count(), SearchToken.objects.count(), FollowUp.objects.count())

    second = import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    assert first.created == 4
    assert (second.total, second.created, second.merged, second.unchanged, second.rejected) == (4, 0, 0, 4, 0)
    assert (Customer.objects.count(), SearchToken.objects.count(), FollowUp.objects.count()) == counts


def test_a_mobile_already_in_the_store_fills_in_that_customer_instead_of_duplicating_it(
    tmp_path, store_a, store_b, manager, django_capture_on_commit_callbacks
):
    # given a customer registered at reception, and a namesake with the same mobile in another store
    existing = CustomerFactory(store=store_a, name="张三", mobile="+8613800138000", city="", tags=["展厅"])
    other_store = CustomerFactory(store=store_b, name="张三", mobile="+8613800138000")
    path = write_csv(
        tmp_path / "dup.csv",
        ["姓名", "手机", "城市", "来源", "身份证号", "标签"],
        [["张三丰", "138-0013-8000", "深圳", "汽车之家", ID_1, "展厅,老客户"]],
    )

    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    # then the row fills the blanks of the existing customer and keeps what was there
    existing.refresh_from_db()
    assert (job.created, job.merged) == (0, 1)
    assert Customer.objects.filter(store=store_a).count() == 1
    assert (existing.name, existing.city, existing.source, existing.tags) == (
        "张三",
        "深圳",
        "walk_in",
        ["展厅", "老客户"],
    )
    assert existing.id_number == ID_1 and existing.birthday == date(1949, 12, 31)
    assert Customer.objects.get(pk=other_store.pk).city == ""


def test_an_id_number_already_in_the_store_matches_too_but_two_different_customers_are_refused(
    tmp_path, store_a, manager, django_capture_on_commit_callbacks
):
    id_2 = resident_id("44030519900101123")
    by_id = CustomerFactory(store=store_a, name="王五", mobile="+8613700137000")
    by_id.id_number, by_id.id_number_index = id_2, services_blind(id_2)
    by_id.save()
    CustomerFactory(store=store_a, name="赵六", mobile="+8613600136000")
    rows = [["王五", "", "13500135000", id_2, "杭州"], ["赵六", "", "13600136000", id_2, ""]]
    path = write_csv(tmp_path / "ids.csv", ["姓名", "性别", "手机", "身份证号", "城市"], rows)

    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    assert (job.created, job.merged, job.rejected) == (0, 1, 1)
    by_id.refresh_from_db()
    assert by_id.city == "杭州" and by_id.mobile == "+8613700137000"  # an existing mobile is never overwritten
    assert [(row, column) for row, column, _reason in _reasons(job)] == [(3, "")]


def services_blind(id_number: str) -> str:
    from dealerdesk.core.crypto import blind_index
    from dealerdesk.customers.services import ID_PURPOSE

    return blind_index(id_number, purpose=ID_PURPOSE)


def test_consultants_are_found_by_username_or_full_name_and_strangers_are_refused(
    tmp_path, store_a, store_b, manager, consultant, make_staff, django_capture_on_commit_callbacks
):
    make_staff("consultant", store_b, username="elsewhere", full_name="外店顾问")
    make_staff("receptionist", store_a, username="desk", full_name="前台")
    rows = [
        ["甲", "13800138001", "GU"],
        ["乙", "13800138002", "顾问甲"],
        ["丙", "13800138003", "elsewhere"],
        ["丁", "13800138004", "前台"],
        ["戊", "13800138005", ""],
    ]
    path = write_csv(tmp_path / "owners.csv", ["姓名", "手机", "销售顾问"], rows)

    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    owners = dict(Customer.objects.values_list("name", "owner_id"))
    assert owners == {"甲": consultant.pk, "乙": consultant.pk, "戊": None}
    assert [(row, column) for row, column, _reason in _reasons(job)] == [(4, "销售顾问"), (5, "销售顾问")]
    follow_ups = dict(FollowUp.objects.values_list("customer__name", "assignee_id"))
    assert follow_ups == {"甲": consultant.pk, "乙": consultant.pk, "戊": None}


def test_imported_customers_are_searchable_have_a_first_follow_up_and_no_consent(
    tmp_path, store_a, manager, consultant, django_capture_on_commit_callbacks
):
    path = write_csv(tmp_path / "search.csv", HEADERS, ROWS)
    before = timezone.now()

    import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    assert [c.name for c in search_customers(manager, "张三丰")] == ["张三丰"]
    assert [c.name for c in search_customers(manager, "zsf")] == ["张三丰"]
    assert [c.name for c in search_customers(manager, "9000")] == ["李小龙"]
    for customer in Customer.objects.filter(store=store_a):
        stored = set(SearchToken.objects.filter(customer=customer).values_list("token", flat=True))
        assert stored == tokens_for(customer, vehicles=[])
        follow_up = FollowUp.objects.get(customer=customer)
        assert follow_up.purpose == FollowUpPurpose.FIRST_CONTACT and follow_up.status == FollowUpStatus.OPEN
        assert before + timedelta(hours=23) < follow_up.due_at <= timezone.now() + timedelta(hours=24)
        assert customer.next_follow_up_at == follow_up.due_at
    assert not Consent.objects.exists()


def test_batches_commit_one_by_one_with_progress_and_one_audit_entry_each(
    tmp_path, store_a, manager, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(CustomerImporter, "batch_size", 3)
    rows = [[f"客户{i}", f"1380013{i:04d}"] for i in range(7)]
    path = write_csv(tmp_path / "batches.csv", ["姓名", "手机"], rows)

    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    entries = AuditEntry.objects.filter(action="import.batch_committed", target_id=str(job.pk)).order_by("id")
    assert [entry.diff["created"] for entry in entries] == [3, 3, 1]
    assert [entry.diff["rows"] for entry in entries] == [[2, 4], [5, 7], [8, 8]]
    assert (job.progress, job.total, job.percent) == (7, 7, 100)
    assert AuditEntry.objects.filter(action="customer.created").count() == 0  # one entry per batch, not per row


@pytest.mark.parametrize("problem", ["encoding", "too_large", "too_many_columns"])
def test_unreadable_files_fail_the_job_with_a_specific_reason_and_write_nothing_else(
    tmp_path, store_a, manager, problem
):
    # given a Big5 file, a 21 MB file and a file with 300 columns
    if problem == "encoding":
        path = tmp_path / "unicode-text.csv"  # Excel's "Unicode text": UTF-16
        path.write_bytes("姓名,手机\n张三丰,13800138000\n".encode("utf-16"))
    elif problem == "too_large":
        path = tmp_path / "huge.csv"
        line = "张三,13800138000," + "x" * 80 + "\n"
        path.write_bytes(("姓名,手机,备注\n" + line * (21 * 1024 * 1024 // len(line.encode()) + 1)).encode())
    else:
        path = write_csv(tmp_path / "wide.csv", [f"列{i}" for i in range(300)], [["x"] * 300])

    # when it is uploaded
    with pytest.raises(TableError) as caught:
        services.import_upload(actor=manager, store=store_a, kind="customers", upload=as_upload(path))

    # then the refusal names the problem, and only a failed job records it
    assert caught.value.code == problem
    job = ImportJob.objects.get()
    assert caught.value.extra["job_id"] == job.pk
    assert (job.status, job.error_code, job.error_summary) == (ImportStatus.FAILED, problem, str(caught.value.message))
    assert not job.file and not ImportRowError.objects.exists() and not Customer.objects.exists()


def test_an_id_number_gives_the_birthday_and_gender_when_the_row_has_none(
    tmp_path, store_a, manager, django_capture_on_commit_callbacks
):
    male_id = resident_id("44030519900101123")  # 17th digit 3: male
    path = write_csv(tmp_path / "id.csv", ["姓名", "手机", "身份证"], [["周", "13800138000", male_id.lower()]])

    import_file(manager, store_a, path, django_capture_on_commit_callbacks)

    customer = Customer.objects.get()
    assert (customer.birthday, customer.gender, customer.id_number) == (date(1990, 1, 1), "male", male_id)
    assert customer.id_number_index == services_blind(male_id)


def test_only_import_holders_may_upload_and_steps_follow_the_status(tmp_path, store_a, manager, make_staff):
    path = write_csv(tmp_path / "c.csv", ["姓名", "手机"], [["张三", "13800138000"]])
    consultant = make_staff("consultant", store_a)
    with pytest.raises(services.NotPermitted):
        services.import_upload(actor=consultant, store=store_a, kind="customers", upload=as_upload(path))

    job = services.import_upload(actor=manager, store=store_a, kind="customers", upload=as_upload(path))
    with pytest.raises(services.TransitionRefused):
        services.import_start(actor=manager, job=job, dry_run=True)  # not mapped yet
    with pytest.raises(services.NotPermitted):
        services.import_set_mapping(actor=consultant, job=job, mapping=job.mapping)


def test_a_run_whose_worker_stopped_is_resumed_after_its_last_committed_batch(
    tmp_path, store_a, manager, monkeypatch, django_capture_on_commit_callbacks
):
    # given an import whose worker stopped after committing its first batch (rows 2–3) six minutes ago
    monkeypatch.setattr(CustomerImporter, "batch_size", 2)
    rows = [[f"客户{i}", f"1380013800{i}"] for i in range(5)] + [["坏号码", "123"]]
    path = write_csv(tmp_path / "resume.csv", ["姓名", "手机"], rows)
    first_batch = write_csv(tmp_path / "first.csv", ["姓名", "手机"], rows[:2])
    import_file(manager, store_a, first_batch, django_capture_on_commit_callbacks)  # what the batch wrote
    job = services.import_upload(actor=manager, store=store_a, kind="customers", upload=as_upload(path))
    job = services.import_set_mapping(actor=manager, job=job, mapping=job.mapping)
    job = services.import_start(actor=manager, job=job, dry_run=False)  # queued; its worker "dies" after batch 1
    stopped = timezone.now() - timedelta(minutes=6)
    ImportJob.objects.filter(pk=job.pk).update(total=6, progress=2, created=2, started_at=stopped, heartbeat_at=stopped)
    old_token = job.run_token

    # when the periodic duty looks for stalled runs
    with django_capture_on_commit_callbacks(execute=True):
        assert services.imports_resume_stalled() == 1

    # then the run continues after row 3, with the counts of the first batch kept
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.run_token != old_token
    assert (job.total, job.progress, job.created, job.unchanged, job.rejected) == (6, 6, 5, 0, 1)
    assert Customer.objects.filter(store=store_a).count() == 5
    assert [row for row, _c, _r in _reasons(job)] == [7]
    # and a late task of the old run changes nothing
    assert services.import_run(job.pk, dry_run=False, token=old_token).status == ImportStatus.DONE
    assert services.imports_resume_stalled() == 0


def test_a_run_that_shows_signs_of_life_is_left_alone(tmp_path, store_a, manager):
    path = write_csv(tmp_path / "busy.csv", ["姓名", "手机"], [["张三", "13800138000"]])
    job = services.import_upload(actor=manager, store=store_a, kind="customers", upload=as_upload(path))
    job = services.import_set_mapping(actor=manager, job=job, mapping=job.mapping)
    job = services.import_start(actor=manager, job=job, dry_run=True)  # queued just now

    assert services.imports_resume_stalled() == 0
    assert services.imports_resume_stalled(now=timezone.now() + timedelta(minutes=6)) == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKING
