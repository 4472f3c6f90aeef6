"""How an audit entry's change is shown to the person reading it (DESIGN §11 "one rule in one place").

`core` knows no domain app (DESIGN §5.1), so it does not know which keys of a diff are personal data nor who may see
them. The app that owns such records registers it in its `AppConfig.ready()`:

- a *diff policy*, `policy(user, entries) -> {entry id: diff as the user may see it}`: it claims the entries about
  its records (the customers app: every entry about a customer, of any app) and cuts each diff by its own rule
  (keys dropped, values masked). It is given all the entries of a page at once, so it reads what it needs in one
  query;
- *identifier keys* with their masker (`mobile`, `id_number`): masked in every diff, whoever claims it, for every
  reader. Revealing a full value is a separate, logged action, never a side effect of reading the trail.

Entries no policy claims are shown as written, identifiers masked. Someone not signed in sees no change at all.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import AuditEntry

DiffPolicy = Callable[[Any, Sequence[AuditEntry]], Mapping[int, Mapping[str, Any]]]
Masker = Callable[[str, Any], Any]

_POLICIES: list[DiffPolicy] = []
_IDENTIFIERS: dict[str, Masker] = {}
_SHOWN = "_shown_diff"  # where `prepare` leaves (reader, the entry's diff as that reader may see it)


def register_diff_policy(policy: DiffPolicy) -> None:
    """Let `policy` decide how the entries it claims are shown (asked in registration order; the first claim wins)."""
    if policy not in _POLICIES:
        _POLICIES.append(policy)


def register_identifiers(keys: Iterable[str], masker: Masker) -> None:
    """Keys masked in every audit diff, by `masker(key, value)` (which must leave an already masked value alone)."""
    for key in keys:
        _IDENTIFIERS[key] = masker


def prepare(user, entries: Iterable[AuditEntry]) -> None:
    """Work out, for a whole page at once, how each entry's diff is shown to `user` (see `shown_diff`)."""
    reader = _reader(user)
    pending = {entry.pk: entry for entry in entries if _prepared_for(entry) != reader}
    if reader is None:
        for entry in pending.values():
            setattr(entry, _SHOWN, (None, {}))
        return
    for policy in _POLICIES:
        if not pending:
            break
        for pk, diff in policy(user, list(pending.values())).items():
            entry = pending.pop(pk, None)
            if entry is not None:
                setattr(entry, _SHOWN, (reader, _masked(diff)))
    for entry in pending.values():
        setattr(entry, _SHOWN, (reader, _masked(entry.diff or {})))


def shown_diff(user, entry: AuditEntry) -> dict[str, Any]:
    """The entry's diff as `user` may see it: keys they may not see left out, identifiers and masked fields masked."""
    prepare(user, [entry])
    return getattr(entry, _SHOWN)[1]


def _reader(user) -> int | None:
    return user.pk if getattr(user, "is_authenticated", False) and user.pk is not None else None


def _prepared_for(entry: AuditEntry) -> Any:
    shown = getattr(entry, _SHOWN, None)
    return shown[0] if shown is not None else _NOBODY


_NOBODY = object()  # an entry not prepared yet (None is the reader who is not signed in)


def _masked(value: Any, key: str | None = None) -> Any:
    """Identifier keys masked wherever they appear, also inside a nested change or a list of values."""
    if isinstance(value, Mapping):
        return {k: _masked(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item, key) for item in value]
    masker = _IDENTIFIERS.get(key) if key is not None else None
    return masker(key, value) if masker is not None and value not in (None, "") else value


# ---------------------------------------------------------------- labels of diff keys that are no field of the record
# A diff may carry keys that are not fields of the audited record: a related record's field ("document" of a
# registration is a RegistrationDocument's kind) or a computed value ("reason", "rows"). The reader sees a label for
# each (issue #10.12): the record's own field, else a label registered here (by target type, else for every target),
# else a field of that name on another model of the record's app. tests/core/test_audit_labels.py checks that every
# key the code writes has one.
_KEY_LABELS: dict[tuple[str | None, str], Any] = {}


def register_key_labels(labels: Mapping[str, Any], *, target_type: str | None = None) -> None:
    """Label diff keys: each value is a label, or a model field (its verbose name and choices are used)."""
    for key, label in labels.items():
        _KEY_LABELS[(target_type, key)] = label


def key_label(target_type: str, key: str) -> Any:
    """The registered label (or field) of a diff key for this target type, or None."""
    return _KEY_LABELS.get((target_type, key), _KEY_LABELS.get((None, key)))


def registered_keys() -> set[str]:
    return {key for _target, key in _KEY_LABELS}


register_key_labels(
    {
        "reason": _("reason"),
        "note": _("note"),
        "comment": _("comment"),
        "comment_length": _("comment length"),
        "error": _("error"),
        "rows": _("rows"),
        "columns": _("columns"),
        "created": _("created new"),
        "merged": _("merged customer"),
        "moved": _("records moved"),
        "mentions": _("mentioned"),
        "photo": _("photo"),
        "signature": _("signature"),
        "start": _("start"),
        "end": _("end"),
        "grade": _("intent grade"),
        "party": _("signed by"),
        "paid": _("paid so far"),
        "method": _("how assigned"),
        "options": _("options"),
        "trims": _("trims"),
        "vehicle": _("vehicle"),
        "vin": _("VIN"),
        "case": _("registration case"),
        "local": _("local registration"),
        "delivery": _("delivery"),
        "documents_removed": _("documents no longer needed"),
        "documents_received": _("documents received"),
        "pdi_passed": _("PDI items passed"),
        "gifts": _("gifts"),
        "promised_gifts": _("promised gifts"),
        "handover_date": _("handover date"),
        "warranty_from": _("warranty from"),
        "deposit": _("deposit"),
        "loan": _("loan"),
        "legal_hold": _("legal hold"),
        "damage": _("damage"),
        "clean": _("clean"),
        "energy_percent": _("fuel / charge (%)"),
        "equipment_returned": _("equipment returned"),
        "odometer_km": _("odometer (km)"),
        "duration_minutes": _("duration (minutes)"),
        "insurance_expires_on": _("insurance expires on"),
        "demo_status": _("demo car status"),
    }
)
