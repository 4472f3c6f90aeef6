"""Spreadsheet-like files in and out: CSV (UTF-8 / GB18030) and XLSX, no domain knowledge.

Reading streams row by row from a seekable binary file; writing produces bytes or a byte stream. Imports and exports
of every app go through here so that encodings, Excel quirks and limits are handled in one place.
"""

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain, islice
from pathlib import PurePath
from typing import IO, Any

import charset_normalizer
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .errors import DomainError

ROW_HEADER = "行号 / Row"
ERRORS_HEADER = "错误 / Errors"

_CHUNK = 64 * 1024
_SNIFF_CHARS = 8 * 1024
_CSV_CANDIDATES = ("utf-8", "gb18030")  # after UTF-8 with BOM; GB18030 is a superset of what Excel calls "GBK"
_XLSX_MAX_ROW = 1_048_576  # Excel's own limit: anything beyond is a malformed (or hostile) file
_XLSX_MAX_EXPANSION = 10  # shared strings are held in memory: refuse zip bombs
_WIDTH_SAMPLE_ROWS = 100
_FORMULA_PREFIXES = ("=", "+", "-", "@")
_BRACKET_SUFFIX = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")
_SHEET_TITLE_INVALID = re.compile(r"[\[\]:*?/\\]")

Row = tuple[int, list[str]]


class TableError(DomainError):
    """The file cannot be read as a table: `code` says why, `message` tells the user what to do."""

    default_code = "format"
    default_message = _("The file could not be read as a table.")


class Table:
    """A header row and a lazily read body; `rows()` re-reads the file, which must stay open while iterating."""

    def __init__(
        self,
        headers: list[str],
        columns: list[tuple[int, str]],
        header_row: int,
        encoding: str | None,
        source: Callable[[], Iterator[Row]],
    ):
        self.headers = headers
        self.encoding = encoding
        self.skipped_empty = 0
        self._columns = columns
        self._header_row = header_row
        self._source = source

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield `(row number as Excel shows it, {header: stripped value})`, skipping and counting blank rows."""
        self.skipped_empty = 0
        blank_run = 0  # trailing blank rows (formatted but empty cells) are not worth reporting
        with closing(self._source()) as source:
            for number, cells in source:
                if number <= self._header_row:
                    continue
                if not any(cells):
                    blank_run += 1
                    continue
                self.skipped_empty += blank_run
                blank_run = 0
                yield number, {header: cells[i] if i < len(cells) else "" for i, header in self._columns}


def read_table(
    fileobj: IO[bytes],
    *,
    filename: str,
    max_bytes: int = 20 * 1024 * 1024,
    max_columns: int = 200,
    max_rows: int | None = None,
) -> Table:
    """Open a CSV or XLSX upload, check its size, encoding and header row; raise `TableError` if unusable."""
    extension = PurePath(filename).suffix.lower()
    if extension not in (".csv", ".xlsx"):
        raise TableError(
            _("Only CSV (.csv) and Excel workbook (.xlsx) files are supported; save .xls files as .xlsx first."),
            code="format",
        )
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    if size > max_bytes:
        raise TableError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
            code="too_large",
        )
    if size == 0:
        raise TableError(_("The file is empty."), code="empty")

    encoding = None
    if extension == ".csv":
        encoding = _detect_encoding(fileobj)
        delimiter = _sniff_delimiter(fileobj, encoding)

        def source(width: int | None = None) -> Iterator[Row]:
            return _csv_rows(fileobj, encoding, delimiter, width)

    else:
        _check_xlsx_archive(fileobj, max_bytes)

        def source(width: int | None = None) -> Iterator[Row]:
            return _xlsx_rows(fileobj, width)

    with closing(source()) as rows:
        header_row, header_cells = next(((n, cells) for n, cells in rows if any(cells)), (0, []))
        if not header_row:
            raise TableError(_("The file is empty."), code="empty")
        header_cells = _check_header(header_cells, max_columns)
        blank_columns = [i for i, cell in enumerate(header_cells) if not cell]
        _check_body(rows, len(header_cells), blank_columns, max_rows)
    width = len(header_cells)
    columns = [(i, cell) for i, cell in enumerate(header_cells) if cell]
    return Table([cell for _i, cell in columns], columns, header_row, encoding, lambda: source(width))


def _check_header(cells: list[str], max_columns: int) -> list[str]:
    """The header cells without trailing blanks; refuse too many columns and duplicate names."""
    cells = [cell.lstrip("\ufeff") for cell in cells]
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > max_columns:
        raise TableError(
            _("The header row has %(count)s columns; at most %(limit)s are allowed.")
            % {"count": len(cells), "limit": max_columns},
            code="too_many_columns",
        )
    seen: set[str] = set()
    for cell in filter(None, cells):
        key = _header_key(cell)
        if key in seen:
            raise TableError(
                _("The column “%(name)s” appears more than once in the header row.") % {"name": cell},
                code="duplicate_header",
            )
        seen.add(key)
    return cells


def _check_body(rows: Iterator[Row], width: int, blank_columns: list[int], max_rows: int | None) -> None:
    """Refuse data under a blank header, too many rows, or no data at all; reads only as far as it must."""
    count = 0
    for _number, cells in rows:
        if not any(cells[:width]):
            continue
        count += 1
        for i in blank_columns:
            if i < len(cells) and cells[i]:
                raise TableError(
                    _("Column %(column)s has data but no header; give it a header or delete the column.")
                    % {"column": get_column_letter(i + 1)},
                    code="no_header",
                )
        if max_rows is not None and count > max_rows:
            raise TableError(
                _("The file has more than %(limit)s rows; split it into smaller files.") % {"limit": max_rows},
                code="too_large",
            )
        if not blank_columns and max_rows is None:
            break
    if not count:
        raise TableError(_("The file has a header row but no data rows."), code="empty")


# --- CSV ---------------------------------------------------------------------------------------------------------


class _Borrowed(io.RawIOBase):
    """Reads from a file the caller owns: closing this (as TextIOWrapper does) leaves that file open."""

    def __init__(self, fileobj: IO[bytes]):
        self._fileobj = fileobj

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._fileobj.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _detect_encoding(fileobj: IO[bytes]) -> str:
    """UTF-8 with BOM, else UTF-8, else GB18030: the first that decodes the whole file without NULs wins."""
    fileobj.seek(0)
    head = fileobj.read(_CHUNK)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise TableError(
            _("This is an Excel workbook, not a CSV file; save it as “CSV UTF-8” or upload it as .xlsx."),
            code="format",
        )
    candidates = ("utf-8-sig",) if head.startswith(codecs.BOM_UTF8) else _CSV_CANDIDATES
    for encoding in candidates:
        if _decodes(fileobj, encoding):
            return encoding
    guess = charset_normalizer.from_bytes(head).best()
    if guess is not None and guess.encoding not in ("utf_8", "gb18030"):
        message = _(
            "The file's text encoding was not recognised (it looks like %(guess)s). "
            "Save it as “CSV UTF-8” or as an Excel workbook (.xlsx) and upload it again."
        ) % {"guess": guess.encoding}
    else:
        message = _(
            "The file's text encoding was not recognised. "
            "Save it as “CSV UTF-8” or as an Excel workbook (.xlsx) and upload it again."
        )
    raise TableError(message, code="encoding")


def _decodes(fileobj: IO[bytes], encoding: str) -> bool:
    # NUL never appears in a real CSV, but UTF-16 without BOM and binary junk decode "fine" as UTF-8 or GB18030
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    fileobj.seek(0)
    try:
        while chunk := fileobj.read(_CHUNK):
            if "\x00" in decoder.decode(chunk):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_delimiter(fileobj: IO[bytes], encoding: str) -> str:
    """Comma, semicolon or tab, guessed from the first complete lines; comma when unsure."""
    fileobj.seek(0)
    sample = codecs.getincrementaldecoder(encoding)().decode(fileobj.read(_SNIFF_CHARS))
    if "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _csv_rows(fileobj: IO[bytes], encoding: str, delimiter: str, width: int | None) -> Iterator[Row]:
    fileobj.seek(0)
    text = io.TextIOWrapper(io.BufferedReader(_Borrowed(fileobj), _CHUNK), encoding=encoding, newline="")
    number = 0
    try:
        for number, cells in enumerate(csv.reader(text, delimiter=delimiter), start=1):
            yield number, [_unescape_formula(cell.strip()) for cell in cells[:width]]
    except csv.Error as exc:
        raise TableError(
            _("Row %(row)s could not be read: %(error)s") % {"row": number + 1, "error": exc}, code="format"
        ) from exc
    except UnicodeDecodeError as exc:  # the file changed since its encoding was checked
        raise TableError(_("The file's text encoding was not recognised."), code="encoding") from exc
    finally:
        text.close()


def _unescape_formula(value: str) -> str:
    # undo the apostrophe `_csv_cell` puts before formula-like text, so exports re-import unchanged
    return value[1:] if value[:1] == "'" and value[1:2] in _FORMULA_PREFIXES else value


# --- XLSX --------------------------------------------------------------------------------------------------------


def _check_xlsx_archive(fileobj: IO[bytes], max_bytes: int) -> None:
    """Refuse non-workbooks and archives whose shared strings would unpack to far more than the upload limit."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            strings = sum(i.file_size for i in archive.infolist() if i.filename.lower().endswith("sharedstrings.xml"))
    except (zipfile.BadZipFile, OSError) as exc:
        raise TableError(_("The file could not be opened as an Excel workbook (.xlsx)."), code="format") from exc
    finally:
        fileobj.seek(0)
    if strings > _XLSX_MAX_EXPANSION * max_bytes:
        raise TableError(
            _("The workbook holds too much text to read safely; split it or save it as “CSV UTF-8”."),
            code="too_large",
        )


def _xlsx_rows(fileobj: IO[bytes], width: int | None) -> Iterator[Row]:
    fileobj.seek(0)
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises anything from KeyError to TypeError on damaged files
        raise TableError(_("The file could not be opened as an Excel workbook (.xlsx)."), code="format") from exc
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store a wrong "A1:A1" dimension, which would hide columns
        for number, values in enumerate(sheet.iter_rows(min_row=1, max_col=width, values_only=True), start=1):
            if number > _XLSX_MAX_ROW:
                raise TableError(_("The workbook has more rows than Excel allows."), code="format")
            yield number, [_cell_text(value).strip() for value in values]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    """A cell value as the text a user sees: whole floats without ".0", dates as ISO, None as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        value = _naive(value)
        value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)  # Excel floats drift by a µs
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    return str(value)


def _naive(value: datetime) -> datetime:
    """Spreadsheets have no time zones: aware datetimes are shown in the current local time."""
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


# --- header mapping ----------------------------------------------------------------------------------------------


def map_headers(headers: list[str], aliases: dict[str, list[str]]) -> tuple[dict[str, str], list[str]]:
    """Map file headers to field names by alias, forgiving case, spaces, bracket width, notes and "*" marks."""
    lookup: dict[str, str] = {}
    for field, names in aliases.items():
        for name in names:
            lookup.setdefault(_header_key(name), field)
    mapping: dict[str, str] = {}
    unmapped: list[str] = []
    for header in headers:
        key = _header_key(header)
        field = lookup.get(key) or lookup.get(_BRACKET_SUFFIX.sub("", key).strip("*"))
        if field is None or field in mapping.values():
            unmapped.append(header)
        else:
            mapping[header] = field
    return mapping, unmapped


def _header_key(header: str) -> str:
    # NFKC turns full-width brackets, letters and asterisks into their ASCII forms
    return "".join(unicodedata.normalize("NFKC", header).split()).casefold().strip("*")


# --- writers -----------------------------------------------------------------------------------------------------


def iter_csv(rows: Iterable[Sequence], headers: Sequence[str]) -> Iterator[bytes]:
    """UTF-8 CSV with BOM (so Excel shows Chinese correctly) in chunks, for `StreamingHttpResponse`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(header) for header in headers])
    yield codecs.BOM_UTF8 + _drain(buffer)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
        if buffer.tell() >= _CHUNK:
            yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def write_csv(rows: Iterable[Sequence], headers: Sequence[str]) -> bytes:
    """The whole CSV (UTF-8 with BOM) as bytes."""
    return b"".join(iter_csv(rows, headers))


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def _csv_cell(value: Any) -> str:
    # Excel runs text starting with = + - @ as a formula when it opens a CSV: neutralise it unless it is a number
    text = _cell_text(value)
    if text.startswith(_FORMULA_PREFIXES) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_xlsx(rows: Iterable[Sequence], headers: Sequence[str], *, sheet_title: str = "Sheet1") -> bytes:
    """An XLSX workbook with a bold, frozen header row and column widths fitted to CJK text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    rows = iter(rows)
    sample = list(islice(rows, _WIDTH_SAMPLE_ROWS))
    for i, width in enumerate(_column_widths(headers, sample), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", _cell_text(header)))
        cell.data_type = "s"
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in chain(sample, rows):
        sheet.append([_xlsx_value(sheet, value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def error_report_xlsx(headers: list[str], rejected: Iterable[tuple[int, dict[str, str], list[str]]]) -> bytes:
    """Rejected rows as XLSX: row number, the original columns, then the reasons."""
    rows = (
        [number, *(values.get(header, "") for header in headers), "; ".join(str(error) for error in errors)]
        for number, values, errors in rejected
    )
    return write_xlsx(rows, [ROW_HEADER, *headers, ERRORS_HEADER], sheet_title="Errors")


def _xlsx_value(sheet, value: Any) -> Any:
    """A value openpyxl can store; text stays text even when it looks like a formula or an error code."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | time):
        return _naive(value) if isinstance(value, datetime) else value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith("=") or text in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


def _column_widths(headers: Sequence[str], sample: list[Sequence]) -> list[float]:
    widths = []
    for i, header in enumerate(headers):
        texts = [_cell_text(header), *(_cell_text(row[i]) for row in sample if i < len(row))]
        widest = max(_display_width(text.split("\n", 1)[0]) for text in texts)
        widths.append(min(max(widest + 2, 8), 60))
    return widths


def _display_width(text: str) -> int:
    # CJK characters take two columns of Excel's width unit
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _sheet_title(title: str) -> str:
    return _SHEET_TITLE_INVALID.sub("_", title).strip("'")[:31] or "Sheet1"
