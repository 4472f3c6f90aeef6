"""Importing stock and trims from real CSV and XLSX files through the imports app: Chinese and English headers,
per-row errors with the same rules as hand entry, dry runs, re-runs."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from dealerdesk.catalog.models import Series, StockVehicle, Trim
from dealerdesk.imports import services
from dealerdesk.imports.choices import ImportStatus
from dealerdesk.imports.models import ImportJob, ImportRowError
from tests.catalog.factories import BrandFactory, ColourFactory, StockVehicleFactory, TrimFactory, make_vin
from tests.imports import as_upload, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

STOCK_HEADERS_ZH = ["车架号", "车型代码", "外观颜色", "内饰颜色", "状态", "库位", "到店日期"]
STOCK_HEADERS_EN = ["VIN", "trim", "exterior", "interior", "status", "location", "arrival date"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_a(store_a, make_staff):
    return make_staff("store_admin", store_a, language="en")


@pytest.fixture
def trim():
    trim = TrimFactory(code="xy-x5-2026-lr", name="长续航版")
    ColourFactory(trim=trim, kind="exterior", code="WH01", name="冰川白")
    ColourFactory(trim=trim, kind="exterior", code="RD03", name="熔岩红")
    ColourFactory(trim=trim, kind="interior", code="IBK", name="曜黑内饰")
    return trim


def _run(actor, store, path: Path, kind: str, capture, *, dry_run: bool = False) -> ImportJob:
    job = services.import_upload(actor=actor, store=store, kind=kind, upload=as_upload(path))
    job = services.import_set_mapping(actor=actor, job=job, mapping=job.mapping)
    with capture(execute=True):
        services.import_start(actor=actor, job=job, dry_run=dry_run)
    job.refresh_from_db()
    return job


def _reasons(job: ImportJob) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in ImportRowError.objects.filter(job=job).order_by("row_number", "id"):
        found.setdefault(error.row_number, []).append((error.column, error.reason))
    return found


# ---------------------------------------------------------------- stock


@pytest.mark.parametrize("fmt", ["csv-zh", "xlsx-en"])
def test_stock_is_imported_from_chinese_or_english_headers(
    tmp_path, store_a, admin_a, trim, fmt, django_capture_on_commit_callbacks
):
    # given two vehicles, colours by code or name, statuses in words, dates as Chinese Excel writes them
    rows = [
        [make_vin(1).lower(), "XY-X5-2026-LR", "WH01", "曜黑内饰", "在库", "A区-01", "2026年1月5日"],
        [make_vin(2), "xy-x5-2026-lr", "熔岩红", "", "在途", "", ""],
    ]
    if fmt == "xlsx-en":
        rows[0][6] = date(2026, 1, 5)
        path = write_xlsx(tmp_path / "stock.xlsx", STOCK_HEADERS_EN, rows)
    else:
        path = write_csv(tmp_path / "库存.csv", STOCK_HEADERS_ZH, rows, encoding="gb18030")
    # when it is imported
    job = _run(admin_a, store_a, path, "stock", django_capture_on_commit_callbacks)
    # then both vehicles are in the store's stock
    assert (job.status, job.created, job.rejected) == (ImportStatus.DONE, 2, 0)
    first = StockVehicle.objects.get(vin=make_vin(1))
    assert (first.store, first.trim, first.exterior.code, first.interior.code) == (store_a, trim, "WH01", "IBK")
    assert (first.status, first.location, first.arrived_on) == ("in_stock", "A区-01", date(2026, 1, 5))
    second = StockVehicle.objects.get(vin=make_vin(2))
    assert (second.status, second.exterior.name, second.arrived_on) == ("in_transit", "熔岩红", None)


def test_bad_stock_rows_are_rejected_one_reason_each_and_nothing_else_changes(
    tmp_path, store_a, store_b, admin_a, trim, django_capture_on_commit_callbacks
):
    # given vehicles already in stock here and in store B, and a trim of a brand the store does not sell
    StockVehicleFactory(store=store_a, trim=trim, vin=make_vin(10))
    StockVehicleFactory(store=store_b, trim=trim, vin=make_vin(11))
    TrimFactory(code="qf-gt-awd", series__brand=BrandFactory(code="qingfeng", name="青峰"))
    tomorrow = timezone.localdate() + timedelta(days=1)
    bad_digit = make_vin(12)[:8] + ("1" if make_vin(12)[8] != "1" else "2") + make_vin(12)[9:]
    rows = [
        [make_vin(10), trim.code, "", "", "在库", "", ""],  # 2: already here, same trim: unchanged
        [make_vin(11), trim.code, "", "", "在库", "", ""],  # 3: in another store
        [bad_digit, trim.code, "", "", "在库", "", ""],  # 4: check digit
        [make_vin(13), "qf-gt-awd", "", "", "在库", "", ""],  # 5: brand not sold
        [make_vin(14), "nope", "", "", "在库", "", ""],  # 6: unknown trim
        [make_vin(15), trim.code, "紫色", "WH01", "在库", "", ""],  # 7: colour not of the trim, interior given exterior
        [make_vin(16), trim.code, "", "", "已售", "", ""],  # 8: status
        [make_vin(17), trim.code, "", "", "在库", "", tomorrow.isoformat()],  # 9: future arrival
        [make_vin(18), trim.code, "", "", "", "", ""],  # 10: fine
        [make_vin(18), trim.code, "", "", "", "", ""],  # 11: repeated in the file
    ]
    path = write_csv(tmp_path / "stock.csv", STOCK_HEADERS_ZH, rows)
    # when it is imported
    job = _run(admin_a, store_a, path, "stock", django_capture_on_commit_callbacks)
    # then one vehicle is created, one unchanged, the rest rejected with the reason in the right column
    assert (job.created, job.unchanged, job.rejected) == (1, 1, 8)
    reasons = _reasons(job)
    assert "another store" in reasons[3][0][1] and reasons[3][0][0] == "车架号"
    assert "check digit" in reasons[4][0][1]
    assert reasons[5] == [("车型代码", "This store does not sell 青峰.")]
    assert "Unknown trim code" in reasons[6][0][1]
    assert [column for column, _reason in reasons[7]] == ["外观颜色", "内饰颜色"]
    assert "in transit or in stock" in reasons[8][0][1] and reasons[8][0][0] == "状态"
    assert "future" in reasons[9][0][1]
    assert "row 10" in reasons[11][0][1]
    assert set(StockVehicle.objects.filter(store=store_a).values_list("vin", flat=True)) == {make_vin(10), make_vin(18)}


def test_a_stock_dry_run_writes_nothing_and_a_rerun_changes_nothing(
    tmp_path, store_a, admin_a, trim, django_capture_on_commit_callbacks
):
    rows = [[make_vin(n), trim.code, "WH01", "IBK", "在库", "B区", "2026-01-02"] for n in range(30, 35)]
    path = write_csv(tmp_path / "stock.csv", STOCK_HEADERS_ZH, rows)
    dry = _run(admin_a, store_a, path, "stock", django_capture_on_commit_callbacks, dry_run=True)
    assert (dry.status, dry.created) == (ImportStatus.DRY_RUN_DONE, 5)
    assert not StockVehicle.objects.exists()
    _run(admin_a, store_a, path, "stock", django_capture_on_commit_callbacks)
    again = _run(admin_a, store_a, path, "stock", django_capture_on_commit_callbacks)
    assert (again.created, again.unchanged, again.rejected) == (0, 5, 0)
    assert StockVehicle.objects.count() == 5


def test_consultants_may_not_import_stock(tmp_path, store_a, make_staff, trim):
    from dealerdesk.core.errors import NotPermitted

    path = write_csv(tmp_path / "stock.csv", STOCK_HEADERS_ZH, [[make_vin(1), trim.code, "", "", "", "", ""]])
    with pytest.raises(NotPermitted):
        services.import_upload(
            actor=make_staff("consultant", store_a), store=store_a, kind="stock", upload=as_upload(path)
        )


# ---------------------------------------------------------------- trims

TRIM_HEADERS = [
    "品牌",
    "车系代码",
    "车系",
    "车型代码",
    "车型名称",
    "年款",
    "能源类型",
    "车身类型",
    "座位数",
    "驱动方式",
    "最大功率",
    "纯电续航",
    "油耗",
    "长",
    "宽",
    "高",
    "轴距",
    "主要配置",
    "指导价",
]


def _trim_row(code: str, **overrides) -> list:
    row = {
        "brand": "星耀",
        "series_code": "xy-x9",
        "series": "星耀X9",
        "code": code,
        "name": "增程 Max",
        "year": "2026款",
        "energy": "增程",
        "body": "SUV",
        "seats": "6",
        "drive": "四驱",
        "power": "330",
        "range": "260",
        "fuel": "6.3",
        "length": "5100",
        "width": "1990",
        "height": "1790",
        "wheelbase": "3050",
        "features": "空气悬架、冰箱",
        "msrp": "299,800",
    }
    row.update(overrides)
    return list(row.values())


def test_trims_are_created_with_their_series_then_updated(
    tmp_path, store_a, admin_a, django_capture_on_commit_callbacks
):
    # given the brand 星耀 and a file with two trims of a new series
    BrandFactory()
    rows = [_trim_row("xy-x9-max"), _trim_row("xy-x9-pro", name="增程 Pro", msrp="279800", range="200")]
    path = write_xlsx(tmp_path / "trims.xlsx", TRIM_HEADERS, rows)
    # when imported
    job = _run(admin_a, store_a, path, "trims", django_capture_on_commit_callbacks)
    # then the series and both trims exist, words translated to codes
    assert (job.created, job.rejected) == (2, 0)
    series = Series.objects.get(code="xy-x9")
    assert (series.name, series.body_type) == ("星耀X9", "suv")
    trim = Trim.objects.get(code="xy-x9-max")
    assert (trim.series, trim.energy_type, trim.drive, trim.seats) == (series, "erev", "awd", 6)
    assert (trim.msrp, trim.key_features, trim.model_year) == (Decimal("299800.00"), ["空气悬架", "冰箱"], 2026)
    # and importing a changed price updates only that trim
    rows[0] = _trim_row("xy-x9-max", msrp="289800")
    path = write_csv(tmp_path / "trims.csv", TRIM_HEADERS, rows)
    again = _run(admin_a, store_a, path, "trims", django_capture_on_commit_callbacks)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    trim.refresh_from_db()
    assert trim.msrp == Decimal("289800.00")


def test_bad_trim_rows_are_rejected(tmp_path, store_a, admin_a, django_capture_on_commit_callbacks):
    BrandFactory()
    rows = [
        _trim_row("a1", brand="无名"),  # 2: unknown brand
        _trim_row("a2", msrp="-5"),  # 3: negative MSRP
        _trim_row("a3", energy="纯电", fuel="6.0"),  # 4: BEV with fuel
        _trim_row("a4", seats="12"),  # 5: seats
        _trim_row("a5"),  # 6: fine
        _trim_row("a5"),  # 7: repeated
    ]
    path = write_csv(tmp_path / "trims.csv", TRIM_HEADERS, rows)
    job = _run(admin_a, store_a, path, "trims", django_capture_on_commit_callbacks)
    assert (job.created, job.rejected) == (1, 5)
    reasons = _reasons(job)
    assert reasons[2][0][0] == "品牌" and "Unknown brand" in reasons[2][0][1]
    assert reasons[3] == [("指导价", "A price must be more than zero.")]
    assert reasons[4][0][0] == "油耗"
    assert reasons[5][0][0] == "座位数"
    assert "row 6" in reasons[7][0][1]
    assert list(Trim.objects.values_list("code", flat=True)) == ["a5"]
