import codecs
import random
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from openpyxl import Workbook, load_workbook

from dealerdesk.core.tabular import (
    ERRORS_HEADER,
    ROW_HEADER,
    TableError,
    error_report_xlsx,
    iter_csv,
    map_headers,
    read_table,
    write_csv,
    write_xlsx,
)

HEADERS = ["姓名", "手机", "性别", "生日", "来源"]
CUSTOMERS = [
    ["张三丰", "13800138000", "男", "1990-05-01", "展厅"],
    ["李小龙", "13900139000", "男", "1985-11-27", "抖音"],
    ["王菲", "", "女", "", "老客户介绍"],
]
CSV_TEXT = "\r\n".join(",".join(row) for row in [HEADERS, *CUSTOMERS]) + "\r\n"


def load(path: Path, **kwargs):
    """Read a real file the way an upload view would; rows must be consumed while the file is open."""
    with path.open("rb") as f:
        table = read_table(f, filename=path.name, **kwargs)
        return table, list(table.rows())


def refusal(path: Path, **kwargs) -> TableError:
    with pytest.raises(TableError) as caught:
        load(path, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030")],
)
def test_utf8_bom_and_gbk_csv_files_read_the_same(tmp_path, encoding, detected):
    path = tmp_path / "customers.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    table, rows = load(path)
    assert table.headers == HEADERS
    assert table.encoding == detected
    assert rows == [(number, dict(zip(HEADERS, row, strict=True))) for number, row in enumerate(CUSTOMERS, start=2)]


@pytest.mark.parametrize(
    "content",
    [
        CSV_TEXT.encode("utf-16-le"),
        random.Random(7).randbytes(4096),
    ],
    ids=["utf-16-without-bom", "random-bytes"],
)
def test_an_undecodable_csv_is_refused_with_advice(tmp_path, content):
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    error = refusal(path)
    assert error.code == "encoding"
    assert "CSV UTF-8" in str(error.message)


def test_an_excel_workbook_named_csv_is_a_format_error(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(write_xlsx(CUSTOMERS, HEADERS))
    assert refusal(path).code == "format"


@pytest.mark.parametrize("name", ["customers.xls", "customers.txt", "customers"])
def test_other_extensions_are_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(CSV_TEXT.encode())
    assert refusal(path).code == "format"


def test_a_damaged_xlsx_is_a_format_error(tmp_path):
    path = tmp_path / "customers.xlsx"
    path.write_bytes(CSV_TEXT.encode())
    assert refusal(path).code == "format"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters_are_sniffed(tmp_path, delimiter):
    path = tmp_path / "customers.csv"
    lines = [delimiter.join(row) for row in [HEADERS, *CUSTOMERS]]
    lines[1] = lines[1].replace("展厅", '"展厅, 二楼"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table, rows = load(path)
    assert table.headers == HEADERS
    assert rows[0][1]["来源"] == "展厅, 二楼"
    assert rows[2] == (4, dict(zip(HEADERS, CUSTOMERS[2], strict=True)))


def test_a_single_column_csv_defaults_to_comma(tmp_path):
    path = tmp_path / "mobiles.csv"
    path.write_text("手机\n13800138000\n", encoding="utf-8")
    table, rows = load(path)
    assert table.headers == ["手机"]
    assert rows == [(2, {"手机": "13800138000"})]


def test_xlsx_round_trip_keeps_numbers_dates_and_formula_like_text(tmp_path):
    path = tmp_path / "customers.xlsx"
    rows = [
        ["张三丰", 13800138000, "男", date(1990, 5, 1), '=HYPERLINK("http://x")'],
        ["李小龙", 13900139000.0, "男", datetime(1985, 11, 27, 9, 30), None],
    ]
    path.write_bytes(write_xlsx(rows, HEADERS, sheet_title="客户/2024"))

    table, read = load(path)
    assert table.headers == HEADERS
    assert table.encoding is None
    assert read == [
        (
            2,
            {
                "姓名": "张三丰",
                "手机": "13800138000",
                "性别": "男",
                "生日": "1990-05-01",
                "来源": '=HYPERLINK("http://x")',
            },
        ),
        (3, {"姓名": "李小龙", "手机": "13900139000", "性别": "男", "生日": "1985-11-27 09:30:00", "来源": ""}),
    ]

    sheet = load_workbook(path).worksheets[0]
    assert sheet.title == "客户_2024"
    assert sheet["A1"].font.b
    assert sheet["B2"].data_type == "n"
    assert sheet["D2"].is_date
    assert sheet["E2"].data_type == "s"  # text, never run as a formula
    assert sheet.column_dimensions["A"].width >= 8
    assert sheet.freeze_panes == "A2"


def test_xlsx_written_by_excel_like_tools_reads_floats_and_dates(tmp_path):
    path = tmp_path / "customers.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append([" 张三丰 ", 13800138000.0, "男", datetime(1990, 5, 1), "展厅"])
    sheet["A5"] = "王菲"  # rows 3 and 4 do not exist in the file at all
    workbook.save(path)
    table, rows = load(path)
    assert rows == [
        (2, {"姓名": "张三丰", "手机": "13800138000", "性别": "男", "生日": "1990-05-01", "来源": "展厅"}),
        (5, {"姓名": "王菲", "手机": "", "性别": "", "生日": "", "来源": ""}),
    ]
    assert table.skipped_empty == 2


def test_empty_rows_are_skipped_and_counted_with_spreadsheet_row_numbers(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "\n"  # a blank line before the header: Excel shows the header on row 2
        "姓名,手机,备注\n"
        '张三丰,13800138000,"第一行\n第二行"\n'
        ",,\n"
        "\n"
        " , ,\n"
        "王菲,13700137000,\n"
        ",,\n",
        encoding="utf-8",
    )
    table, rows = load(path)
    assert rows == [
        (3, {"姓名": "张三丰", "手机": "13800138000", "备注": "第一行\n第二行"}),
        (7, {"姓名": "王菲", "手机": "13700137000", "备注": ""}),
    ]
    assert table.skipped_empty == 3  # the trailing blank row is not reported


def test_a_300_column_header_is_refused_naming_count_and_limit(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(300)) + "\n" + ",".join("x" * 300) + "\n", encoding="utf-8")
    error = refusal(path)
    assert error.code == "too_many_columns"
    assert "300" in str(error.message)
    assert "200" in str(error.message)
    assert load(path, max_columns=300)[0].headers[-1] == "c299"


def test_a_wide_xlsx_header_is_refused(tmp_path):
    path = tmp_path / "wide.xlsx"
    path.write_bytes(write_xlsx([range(300)], [f"c{i}" for i in range(300)]))
    assert refusal(path).code == "too_many_columns"


@pytest.mark.parametrize("name", ["huge.csv", "huge.xlsx"])
def test_a_21_mb_file_is_refused_before_parsing(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\xff" * (21 * 1024 * 1024))  # would be an encoding or format error if parsed
    error = refusal(path)
    assert error.code == "too_large"
    assert "MB" in str(error.message)


def test_too_many_rows_are_refused_before_any_row_is_returned(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    assert refusal(path, max_rows=2).code == "too_large"
    assert len(load(path, max_rows=3)[1]) == 3


@pytest.mark.parametrize(
    "header", ["姓名,手机,姓名", "姓名,手机,Mobile,mobile *"], ids=["same-text", "same-after-normalising"]
)
def test_duplicate_headers_are_refused(tmp_path, header):
    path = tmp_path / "customers.csv"
    path.write_text(header + "\n张三丰,13800138000,x,y\n", encoding="utf-8")
    error = refusal(path)
    assert error.code == "duplicate_header"


def test_a_blank_header_is_refused_only_when_its_column_has_data(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("姓名,,手机\n张三丰,,13800138000\n王菲,,\n", encoding="utf-8")
    table, rows = load(path)
    assert table.headers == ["姓名", "手机"]
    assert rows[0] == (2, {"姓名": "张三丰", "手机": "13800138000"})

    path.write_text("姓名,,手机\n张三丰,,13800138000\n王菲,VIP,\n", encoding="utf-8")
    error = refusal(path)
    assert error.code == "no_header"
    assert "B" in str(error.message)


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"", "empty.csv"), (b"\r\n,,\r\n", "blank.csv"), ("姓名,手机\r\n,\r\n".encode(), "header-only.csv")],
)
def test_files_without_data_are_refused_as_empty(tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    assert refusal(path).code == "empty"


def test_map_headers_forgives_case_spaces_brackets_and_required_marks():
    aliases = {"name": ["姓名", "客户姓名", "name"], "mobile": ["手机", "手机号", "手机号码", "mobile", "phone"]}
    headers = ["客户姓名*", "手机号（必填）", "Phone", " 手 机 ", "备注"]
    mapping, unmapped = map_headers(headers, aliases)
    assert mapping == {"客户姓名*": "name", "手机号（必填）": "mobile"}
    assert unmapped == ["Phone", " 手 机 ", "备注"]  # a field is taken by its first column only

    mapping, unmapped = map_headers(["ＮＡＭＥ", "MOBILE (11位)"], aliases)
    assert mapping == {"ＮＡＭＥ": "name", "MOBILE (11位)": "mobile"}
    assert unmapped == []


def test_write_csv_has_a_bom_and_reads_back_unchanged(tmp_path):
    rows = [
        ["张三丰", 13800138000, date(1990, 5, 1), "=1+1"],
        ["王菲", None, None, "-5"],
        ["李小龙", "+8613900139000", None, "@SUM(A1)"],
    ]
    headers = ["姓名", "手机", "生日", "备注"]
    data = write_csv(rows, headers)
    assert data.startswith(codecs.BOM_UTF8)
    assert "'=1+1" in data.decode("utf-8-sig")  # Excel must not run it as a formula
    assert b"".join(iter_csv(rows, headers)) == data

    path = tmp_path / "export.csv"
    path.write_bytes(data)
    table, read = load(path)
    assert table.encoding == "utf-8-sig"
    assert read == [
        (2, {"姓名": "张三丰", "手机": "13800138000", "生日": "1990-05-01", "备注": "=1+1"}),
        (3, {"姓名": "王菲", "手机": "", "生日": "", "备注": "-5"}),
        (4, {"姓名": "李小龙", "手机": "+8613900139000", "生日": "", "备注": "@SUM(A1)"}),
    ]


def test_iter_csv_streams_large_exports_in_chunks():
    chunks = list(iter_csv(([f"客户{i}", i] for i in range(20_000)), ["姓名", "编号"]))
    assert len(chunks) > 2
    assert chunks[0] == codecs.BOM_UTF8 + "姓名,编号\r\n".encode()


def test_error_report_has_row_numbers_original_values_and_errors(tmp_path):
    path = tmp_path / "errors.xlsx"
    rejected = [
        (3, {"姓名": "张三丰", "手机": "1380013"}, ["手机号码格式不正确", "Birthday is in the future"]),
        (7, {"姓名": "", "手机": "13900139000"}, ["姓名必填"]),
    ]
    path.write_bytes(error_report_xlsx(["姓名", "手机"], rejected))
    table, rows = load(path)
    assert table.headers == [ROW_HEADER, "姓名", "手机", ERRORS_HEADER]
    assert rows == [
        (
            2,
            {
                ROW_HEADER: "3",
                "姓名": "张三丰",
                "手机": "1380013",
                ERRORS_HEADER: "手机号码格式不正确; Birthday is in the future",
            },
        ),
        (3, {ROW_HEADER: "7", "姓名": "", "手机": "13900139000", ERRORS_HEADER: "姓名必填"}),
    ]


def test_rows_can_be_read_twice(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    with path.open("rb") as f:
        table = read_table(f, filename="customers.csv")
        assert list(table.rows()) == list(table.rows())
        assert not f.closed


@pytest.mark.parametrize("name", ["customers.csv", "customers.xlsx"])
def test_django_uploads_are_read_and_left_open(name):
    content = CSV_TEXT.encode("gb18030") if name.endswith(".csv") else write_xlsx(CUSTOMERS, HEADERS)
    for upload in (SimpleUploadedFile(name, content), TemporaryUploadedFile(name, "", len(content), None)):
        with upload:
            if isinstance(upload, TemporaryUploadedFile):
                upload.write(content)
            table = read_table(upload, filename=upload.name)
            assert [values["手机"] for _number, values in table.rows()] == ["13800138000", "13900139000", ""]
            assert not upload.closed
