"""What can be imported: each kind of import is an `Importer` registered here by its own app.

An app adds a kind by writing `<app>/importer.py` with a subclass of `Importer` decorated with `@register`;
`ImportsConfig.ready()` loads every installed app's `importer` module. The imports app does the rest: upload,
header mapping, dry run, batches, progress, rejected rows and the error report.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    from .models import ImportJob

Row = tuple[int, dict[str, str]]  # (row number as the spreadsheet shows it, {field name: cell text})


@dataclass(frozen=True)
class ImportField:
    """A field a file column can be mapped to, with the header texts recognised for it (any language)."""

    name: str
    label: str | Promise
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class RowError:
    """One reason to reject a row; `field` is the field name, "" when the row as a whole is refused."""

    row_number: int
    field: str
    reason: str


@dataclass
class BatchResult:
    """What one batch did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # rows imported (or to be) with something the report should point out, e.g. an unknown lead source
    warnings: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({error.row_number for error in self.errors})

    @property
    def warned(self) -> int:
        return len({warning.row_number for warning in self.warnings})


class Importer(ABC):
    """One kind of import. Subclasses set the class attributes and implement `process_batch`.

    An instance lives for one run (dry run or import) of one job: `start()` is called once before the first
    batch (load lookups there), then `process_batch()` once per batch inside that batch's transaction.
    In a dry run (`self.dry_run`) it must validate and classify exactly as it would import, but write nothing.
    """

    kind: str = ""
    label: str | Promise = ""
    permission: str = ""
    fields: Sequence[ImportField] = ()
    batch_size: int = 500
    notice: str | Promise = ""  # shown on the mapping page (what the import does and does not do)
    do_not_call_in_templates = True  # templates get the class itself (its label, fields, notice)

    def __init__(self, job: "ImportJob", *, dry_run: bool):
        self.job = job
        self.dry_run = dry_run

    def start(self) -> None:  # noqa: B027  an optional hook
        """Prepare lookups for the run (called once, outside the batch transactions)."""

    @abstractmethod
    def process_batch(self, rows: list[Row]) -> BatchResult:
        """Validate, dedupe and (unless a dry run) write one batch of non-empty rows."""

    def batch_done(self) -> None:  # noqa: B027  an optional hook
        """The last batch committed: keep what it taught (e.g. keys of records it created) for later batches."""

    def batch_failed(self) -> None:  # noqa: B027  an optional hook
        """The last batch was rolled back and will be processed again: forget what it taught."""

    @classmethod
    def aliases(cls) -> dict[str, list[str]]:
        """{field name: header texts} for `tabular.map_headers`: the name, the label in every language, aliases."""
        from django.conf import settings
        from django.utils import translation

        names: dict[str, list[str]] = {}
        for spec in cls.fields:
            texts = [spec.name, *spec.aliases]
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    texts.append(str(spec.label))
            names[spec.name] = list(dict.fromkeys(texts))
        return names

    @classmethod
    def field_names(cls) -> list[str]:
        return [spec.name for spec in cls.fields]

    @classmethod
    def required_fields(cls) -> list[ImportField]:
        return [spec for spec in cls.fields if spec.required]


_IMPORTERS: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    """Class decorator: make `importer.kind` importable."""
    if not importer.kind or not importer.permission:
        raise ValueError(f"{importer.__name__} needs a kind and a permission")
    _IMPORTERS[importer.kind] = importer
    return importer


def importer_for(kind: str) -> type[Importer]:
    """The importer of a kind; KeyError for an unknown kind."""
    return _IMPORTERS[kind]


def importers() -> dict[str, type[Importer]]:
    """Every registered kind, in registration order."""
    return dict(_IMPORTERS)
