"""Issue #11.13: the report of rejected rows (the job page and the workbook) is entirely in the language of whoever ran
the import — never "手机: Enter a valid mobile number" — although the worker builds it in the background."""

import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dealerdesk.accounts.models import User
from dealerdesk.imports import services
from dealerdesk.imports.models import ImportJob, ImportRowError
from tests.imports import as_upload, import_file, write_csv, wrong_check_digit

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
HEADERS = ["姓名", "手机", "生日", "来源", "身份证号", "意向级别", "性别", "城市"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bad_file(tmp_path):
    """A file with Chinese headers whose rows 2–9 each break a different rule (data quoted in no message is Chinese,
    data quoted in one is a code), and a good row 10."""
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    rows = [
        ["李四", "12345", "", "自然到店", "", "", "", ""],  # not a mobile
        ["王五", "13900139000", "", "", wrong_check_digit("11010519491231002"), "", "", ""],  # check digit
        ["赵六", "13700137000", tomorrow, "", "", "", "", ""],  # born tomorrow
        ["", "13600136000", "", "", "", "", "", ""],  # no name
        ["钱" * 61, "13500135000", "", "抖音", "", "", "", ""],  # name too long (抖音 is a lead source: #10.13)
        ["孙八", "13400134000", "", "", "", "Z", "", ""],  # unknown grade
        ["周九", "13300133000", "", "", "", "", "不男不女", "深" * 70],  # unknown gender, city too long
        ["吴十", "", "", "", "", "", "", ""],  # no mobile
        ["郑一", "13200132000", "", "", "", "", "", ""],  # good
    ]
    return write_csv(tmp_path / "bad.csv", HEADERS, rows)


def _report(user, job: ImportJob) -> dict[str, list[str]]:
    """Every text of the report that is not the file's own data: the page's rejected-rows table and summary, the
    workbook's own headers, sheet name and reasons."""
    client = Client()
    client.force_login(user)
    page = client.get(reverse("import_detail", args=[job.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    section = html[html.index('data-testid="download-errors"') :]  # the summary and table after the download link
    section = section[section.index("</a>") + 4 : section.index("</table>")]
    page_texts = [text.strip() for text in re.sub(r"<[^>]+>", "\n", section).split("\n") if text.strip()]
    page_texts = [text for text in page_texts if not text.isdigit()]  # row numbers
    workbook = load_workbook(io.BytesIO(client.get(reverse("import_errors_xlsx", args=[job.pk])).content))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return {
        "page": page_texts,
        "workbook": [sheet.title, rows[0][0], rows[0][-1], *(row[-1] for row in rows[1:])],
        "reasons": list(ImportRowError.objects.filter(job=job).values_list("reason", flat=True)),
    }


def test_a_chinese_users_report_has_no_english_and_an_english_users_none_in_chinese(
    store_a, make_staff, bad_file, django_capture_on_commit_callbacks
):
    chinese = make_staff("sales_manager", store_a, language="zh-hans")
    english = make_staff("sales_manager", store_a, language="en")

    # when each imports the same file of bad rows (the worker runs it in the background)
    jobs = {
        user: import_file(user, store_a, bad_file, django_capture_on_commit_callbacks) for user in (chinese, english)
    }

    for user, job in jobs.items():
        assert (job.created + job.unchanged, job.rejected) == (1, 8)
        report = _report(user, job)
        texts = [text for part in report.values() for text in part]
        assert len(report["reasons"]) >= 9 and len(report["workbook"]) == 3 + 8
        if user is chinese:
            # then the Chinese report has no English word (the grade's codes are single letters)
            assert not [text for text in texts if ENGLISH_WORD.search(text)], texts
            assert "手机号: 请输入有效的手机号码，例如 138 0013 8000。" in report["workbook"]
        else:
            # and the English one no Chinese: the file's "手机" column is reported as the field "Mobile"
            assert not [text for text in texts if CJK.search(text)], texts
            assert "Mobile: Enter a valid mobile number, e.g. 138 0013 8000." in report["workbook"]
            assert "Mobile" in report["page"] and "Enter a mobile number." in report["page"]


def test_the_report_is_in_the_language_of_whoever_started_the_run(
    store_a, make_staff, bad_file, django_capture_on_commit_callbacks
):
    # given a file uploaded and mapped by a Chinese-speaking consultant's manager
    chinese = make_staff("sales_manager", store_a, language="zh-hans")
    english = make_staff("store_admin", store_a, language="en")
    job = services.import_upload(actor=chinese, store=store_a, kind="customers", upload=as_upload(bad_file))
    job = services.import_set_mapping(actor=chinese, job=job, mapping=job.mapping)

    # when an English-speaking administrator starts the import
    with django_capture_on_commit_callbacks(execute=True):
        services.import_start(actor=english, job=job, dry_run=False)

    # then the reasons are in English, and stay so when the run is taken up again after its worker stopped
    reasons = set(ImportRowError.objects.filter(job=job).values_list("reason", flat=True))
    assert "Enter a mobile number." in reasons and not any(CJK.search(reason) for reason in reasons)
    job.refresh_from_db()
    assert job.language == "en"
    User.objects.filter(pk=english.pk).update(language="zh-hans")
    ImportJob.objects.filter(pk=job.pk).update(status="running", progress=0, run_token="t")
    services.import_run(job.pk, dry_run=False, token="t")
    reasons = set(ImportRowError.objects.filter(job=job).values_list("reason", flat=True))
    assert "Enter a mobile number." in reasons and not any(CJK.search(reason) for reason in reasons)


def test_a_user_without_a_saved_language_gets_the_sites_language_not_djangos_english(
    store_a, make_staff, bad_file, django_capture_on_commit_callbacks
):
    # a profile whose language is blank (made before the field, or by a script) ran the worker with no language at
    # all: Django's own messages came out in English next to the importer's Chinese fields (issue #11.13)
    manager = make_staff("sales_manager", store_a)
    User.objects.filter(pk=manager.pk).update(language="")
    manager.refresh_from_db()

    job = import_file(manager, store_a, bad_file, django_capture_on_commit_callbacks)

    reasons = list(ImportRowError.objects.filter(job=job).values_list("reason", flat=True))
    assert reasons and not [reason for reason in reasons if ENGLISH_WORD.search(reason)], reasons
    assert services.report_language(job) == "zh-hans"
