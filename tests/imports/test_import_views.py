"""Import pages and API: who may use them, the upload → mapping → dry run → import flow, progress, error report."""

import io

import pytest
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from dealerdesk.core.models import AccessLog
from dealerdesk.customers.models import Customer
from dealerdesk.imports import services
from dealerdesk.imports.choices import ImportStatus
from dealerdesk.imports.models import ImportJob
from tests.imports import as_upload, import_file, write_csv

pytestmark = pytest.mark.django_db

HEADERS = ["姓名", "手机", "城市", "来源"]
ROWS = [
    ["张三", "13800138000", "深圳", "自然到店"],
    ["李四", "12345", "广州", "汽车之家"],
    ["王五", "13900139000", "", "易车"],
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a)


@pytest.fixture
def csv_file(tmp_path):
    return write_csv(tmp_path / "客户名单.csv", HEADERS, ROWS, encoding="gb18030")


def _logged_in(client, user):
    client.force_login(user)
    return client


def test_the_whole_flow_in_the_browser_upload_map_dry_run_import(
    client, store_a, manager, csv_file, django_capture_on_commit_callbacks
):
    _logged_in(client, manager)
    # upload
    with csv_file.open("rb") as handle:
        response = client.post(reverse("import_upload"), {"store": store_a.pk, "kind": "customers", "file": handle})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("import_mapping", args=[job.pk])
    assert job.encoding == "gb18030"

    # the mapping page suggests the columns and says imported customers get no consent
    page = client.get(reverse("import_mapping", args=[job.pk]))
    assert page.status_code == 200
    assert b'data-testid="import-notice"' in page.content
    assert escape(str(services.importer_for("customers").notice)) in page.content.decode()
    assert '<option value="mobile" selected>' in page.content.decode()

    # saving the mapping starts the dry run; the job page shows what would happen and writes nothing
    mapping = {f"col_{i}": field for i, field in enumerate(["name", "mobile", "city", "source"])}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_mapping", args=[job.pk]), mapping)
    assert response.status_code == 302 and response["Location"] == reverse("import_detail", args=[job.pk])
    page = client.get(reverse("import_detail", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DRY_RUN_DONE and not Customer.objects.exists()
    assert b'data-testid="commit-import"' in page.content and "12345" not in page.content.decode()
    assert page.context["errors"][0].row_number == 3

    # the import
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert response.status_code == 302
    assert (job.status, job.created, job.rejected) == (ImportStatus.DONE, 2, 1)
    page = client.get(reverse("import_detail", args=[job.pk]))
    assert b'data-testid="download-errors"' in page.content and b'data-testid="commit-import"' not in page.content


def test_an_unreadable_file_is_explained_on_the_upload_form(client, store_a, manager, tmp_path):
    _logged_in(client, manager)
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 not really a workbook")
    with path.open("rb") as handle:
        response = client.post(reverse("import_upload"), {"store": store_a.pk, "kind": "customers", "file": handle})
    assert response.status_code == 400
    assert b'data-testid="file-error"' in response.content
    assert ImportJob.objects.get().status == ImportStatus.FAILED


def test_a_wrong_mapping_is_refused_on_the_page_and_nothing_starts(client, store_a, manager, csv_file):
    _logged_in(client, manager)
    job = services.import_upload(actor=manager, store=store_a, kind="customers", upload=as_upload(csv_file))
    response = client.post(reverse("import_mapping", args=[job.pk]), {"col_0": "name", "col_1": "", "col_2": "city"})
    assert response.status_code == 400 and b'data-testid="mapping-error"' in response.content
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_the_progress_bar_polls_while_running_and_reloads_the_page_when_done(client, store_a, manager, csv_file):
    _logged_in(client, manager)
    job = services.import_upload(actor=manager, store=store_a, kind="customers", upload=as_upload(csv_file))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, total=200, progress=50)

    running = client.get(reverse("import_progress", args=[job.pk]), headers={"HX-Request": "true"})
    page = client.get(reverse("import_detail", args=[job.pk]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, progress=200)
    done = client.get(reverse("import_progress", args=[job.pk]), headers={"HX-Request": "true"})

    assert 'hx-trigger="every 1s"' in running.content.decode() and "25%" in running.content.decode()
    assert "HX-Refresh" not in running
    assert b'id="import-progress"' in page.content
    assert done["HX-Refresh"] == "true" and b"hx-trigger" not in done.content


def test_the_rejected_rows_workbook_has_the_original_columns_and_an_error_column(
    client, store_a, manager, csv_file, django_capture_on_commit_callbacks
):
    job = import_file(manager, store_a, csv_file, django_capture_on_commit_callbacks)
    _logged_in(client, manager)

    response = client.get(reverse("import_errors_xlsx", args=[job.pk]))

    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "客户" not in response["Content-Disposition"]  # no personal data or file names in headers
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    # the workbook's own columns and each reason's field in the importer's language; the file's columns as they were
    assert rows[0] == ("行号", *HEADERS, "错误原因")
    assert rows[1][:5] == (3, "李四", "12345", "广州", "汽车之家") and rows[1][5].startswith("手机号: ")
    assert len(rows) == 2
    log = AccessLog.objects.get()
    assert (log.actor, log.kind, log.row_count, log.target_id) == (manager, "export", 1, str(job.pk))


def test_another_stores_job_is_not_found_anywhere(
    client, api, store_a, store_b, manager, make_staff, csv_file, django_capture_on_commit_callbacks
):
    job = import_file(manager, store_a, csv_file, django_capture_on_commit_callbacks)
    other = make_staff("store_admin", store_b)
    _logged_in(client, other)
    api.force_authenticate(other)

    for name in ("import_detail", "import_mapping", "import_progress", "import_errors_xlsx"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    for name in ("import_commit", "import_dry_run"):
        assert client.post(reverse(name, args=[job.pk])).status_code == 404, name
    for path in ("", "errors/", "errors.xlsx"):
        assert api.get(f"/api/v1/imports/{job.pk}/{path}").status_code == 404, path
    assert api.post(f"/api/v1/imports/{job.pk}/commit/").status_code == 404
    assert client.get(reverse("import_list")).context["page"].items == []
    assert not AccessLog.objects.exists()


def test_only_import_permission_holders_see_the_import_pages(client, store_a, make_staff, api):
    for role in ("consultant", "receptionist", "care_specialist"):
        user = make_staff(role, store_a)
        _logged_in(client, user)
        assert client.get(reverse("import_list")).status_code == 403, role
        assert client.get(reverse("import_upload")).status_code == 403, role
        api.force_authenticate(user)
        assert api.get("/api/v1/imports/").json()["results"] == []
    admin = make_staff("store_admin", store_a)
    _logged_in(client, admin)
    assert client.get(reverse("import_list")).status_code == 200
    assert reverse("import_list") in client.get(reverse("home")).content.decode()


def test_the_import_list_runs_a_fixed_number_of_queries_and_pages_by_keyset(
    client, store_a, manager, django_assert_max_num_queries
):
    for i in range(55):
        ImportJob.objects.create(store=store_a, kind="customers", created_by=manager, original_name=f"f{i}.csv")
    _logged_in(client, manager)

    with django_assert_max_num_queries(8):
        first = client.get(reverse("import_list"))
    assert first.status_code == 200 and len(first.context["page"].items) == 50
    with django_assert_max_num_queries(8):
        second = client.get(reverse("import_list"), {"after": first.context["page"].next_cursor})
    assert [job.original_name for job in second.context["page"].items] == [f"f{i}.csv" for i in range(4, -1, -1)]


def test_the_job_page_runs_a_fixed_number_of_queries(
    client, store_a, manager, tmp_path, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    rows = [[f"客户{i}", "123"] for i in range(300)]
    job = import_file(
        manager, store_a, write_csv(tmp_path / "bad.csv", ["姓名", "手机"], rows), django_capture_on_commit_callbacks
    )
    _logged_in(client, manager)

    with django_assert_max_num_queries(9):
        page = client.get(reverse("import_detail", args=[job.pk]))
    assert len(page.context["errors"]) == 200 and job.rejected == 300


def test_the_api_uploads_maps_dry_runs_imports_and_lists_errors(
    api, store_a, manager, csv_file, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    api.force_authenticate(manager)
    with csv_file.open("rb") as handle:
        created = api.post("/api/v1/imports/", {"store": store_a.pk, "file": handle}, format="multipart")
    assert created.status_code == 201, created.content
    job = created.json()
    assert job["status"] == "uploaded" and job["mapping"] == {
        "姓名": "name",
        "手机": "mobile",
        "城市": "city",
        "来源": "source",
    }

    refused = api.post(f"/api/v1/imports/{job['id']}/mapping/", {"mapping": {"姓名": "name"}}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid" and refused.json()["mapping"]
    mapped = api.post(
        f"/api/v1/imports/{job['id']}/mapping/", {"mapping": {**job["mapping"], "城市": None}}, format="json"
    )
    assert mapped.status_code == 200 and mapped.json()["status"] == "mapped"

    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/imports/{job['id']}/dry-run/").status_code == 202
    detail = api.get(f"/api/v1/imports/{job['id']}/").json()
    assert (detail["status"], detail["created"], detail["rejected"], detail["percent"]) == ("dry_run_done", 2, 1, 100)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/imports/{job['id']}/commit/").status_code == 202
    assert api.post(f"/api/v1/imports/{job['id']}/commit/").json()["code"] == "import_status"

    errors = api.get(f"/api/v1/imports/{job['id']}/errors/").json()["results"]
    assert [(e["row_number"], e["column"]) for e in errors] == [(3, "手机")]
    workbook = api.get(f"/api/v1/imports/{job['id']}/errors.xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    assert set(Customer.objects.values_list("city", flat=True)) == {""}  # the city column was ignored
    with django_assert_max_num_queries(6):
        listed = api.get("/api/v1/imports/")
    assert [row["id"] for row in listed.json()["results"]] == [job["id"]]


def test_the_api_explains_an_unreadable_file_with_its_code_and_failed_job(api, store_a, manager, tmp_path):
    api.force_authenticate(manager)
    path = write_csv(tmp_path / "wide.csv", [f"c{i}" for i in range(300)], [["x"] * 300])
    with path.open("rb") as handle:
        response = api.post("/api/v1/imports/", {"store": store_a.pk, "file": handle}, format="multipart")
    body = response.json()
    assert response.status_code == 400 and body["code"] == "too_many_columns"
    assert ImportJob.objects.get(pk=body["job_id"]).status == ImportStatus.FAILED


def test_the_api_refuses_a_store_the_caller_cannot_import_into(api, store_a, store_b, manager, make_staff, csv_file):
    api.force_authenticate(manager)
    with csv_file.open("rb") as handle:
        unseen = api.post("/api/v1/imports/", {"store": store_b.pk, "file": handle}, format="multipart")
    consultant = make_staff("consultant", store_a)
    api.force_authenticate(consultant)
    with csv_file.open("rb") as handle:
        forbidden = api.post("/api/v1/imports/", {"store": store_a.pk, "file": handle}, format="multipart")
    assert unseen.status_code == 400 and "store" in unseen.json()
    assert forbidden.status_code == 403
    assert not ImportJob.objects.exists()
