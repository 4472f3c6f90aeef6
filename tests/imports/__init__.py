"""Helpers shared by the import tests: real CSV/XLSX files written to tmp_path and the upload → run sequence."""

import csv
import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from stdnum.cn import ric

from dealerdesk.imports import services
from dealerdesk.imports.models import ImportJob


def resident_id(first17: str) -> str:
    """A resident ID number with the right check digit."""
    return first17 + ric.calc_check_digit(first17 + "0")


def wrong_check_digit(first17: str) -> str:
    right = ric.calc_check_digit(first17 + "0")
    return first17 + ("1" if right != "1" else "2")


def write_csv(path: Path, headers: list[str], rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, headers: list[str], rows: list[list]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def as_upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def import_file(actor, store, path: Path, capture, *, mapping: dict | None = None, dry_run: bool = False) -> ImportJob:
    """Upload, map (the suggested mapping unless given), then dry-run or import through the task, as the UI does."""
    job = services.import_upload(actor=actor, store=store, kind="customers", upload=as_upload(path))
    job = services.import_set_mapping(actor=actor, job=job, mapping=mapping or job.mapping)
    with capture(execute=True):
        services.import_start(actor=actor, job=job, dry_run=dry_run)
    job.refresh_from_db()
    return job
