"""Writing the audit trail and the access log. Called by services inside their transaction."""

from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext

from . import context
from .audit_display import key_label
from .models import AccessLog, AuditEntry
from .validators import clean_text


def _store_id_of(target: models.Model) -> int | None:
    if type(target).__name__ == "Store":
        return target.pk
    return getattr(target, "store_id", None)


def _customer_id_of(target: models.Model) -> int | None:
    if target._meta.label_lower == "customers.customer":
        return target.pk
    return getattr(target, "customer_id", None)


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    diff: dict[str, Any] | None = None,
    store_id: int | None = None,
    customer_id: int | None = None,
) -> AuditEntry:
    """Append one audit entry for `target`. `action` is "<entity>.<past-verb>".

    The entry joins the customer's timeline when `target` is a customer or has a `customer_id` (or one is given).
    """
    ctx = context.current()
    return AuditEntry.objects.create(
        store_id=store_id if store_id is not None else _store_id_of(target),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=clean_text(str(target), multiline=False)[:200],
        diff=_cleaned(diff or {}),
        customer_id=customer_id if customer_id is not None else _customer_id_of(target),
        request_id=ctx.request_id,
        ip=ctx.ip,
    )


def _cleaned(value: Any) -> Any:
    """A diff with control characters dropped from its texts (line breaks kept): the trail is append-only."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return [_cleaned(item) for item in value]
    if isinstance(value, dict):
        return {key: _cleaned(item) for key, item in value.items()}
    return value


def diff_fields(before: dict[str, Any], after: dict[str, Any], *, masked: Iterable[str] = ()) -> dict[str, list]:
    """{field: [old, new]} for fields that changed; masked fields record only that they changed."""
    masked = set(masked)
    changes = {}
    for name, new in after.items():
        old = before.get(name)
        if old != new:
            changes[name] = ["***", "***"] if name in masked else [_plain(old), _plain(new)]
    return changes


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def access_record(
    *,
    actor,
    kind: str,
    target_type: str,
    target_id: str = "",
    store_id: int | None = None,
    fields: list[str] | None = None,
    row_count: int = 1,
    reason: str = "",
) -> AccessLog:
    """Record that `actor` revealed or exported personal data. The log is append-only: what it keeps is cleaned of
    control characters first."""
    ctx = context.current()
    return AccessLog.objects.create(
        store_id=store_id,
        actor=actor,
        kind=kind,
        target_type=clean_text(target_type, multiline=False),
        target_id=clean_text(str(target_id), multiline=False),
        fields=[clean_text(str(name), multiline=False) for name in fields or []],
        row_count=row_count,
        reason=clean_text(reason or "", multiline=False),
        request_id=ctx.request_id,
        ip=ctx.ip,
    )


# Human labels of audit action codes, registered by each app (see <app>/actions.py).
ACTION_LABELS: dict[str, str] = {}


def register_action_labels(labels: dict[str, str]) -> None:
    ACTION_LABELS.update(labels)


# The page of an audited record, by target type ("offers.offer" → URL name taking the id), registered by each app.
TARGET_URLS: dict[str, str] = {}


def register_target_url(target_type: str, url_name: str) -> None:
    TARGET_URLS[target_type] = url_name


def target_url(entry: AuditEntry) -> str:
    """The link to the audited record's page, or "" when its app registered none."""
    name = TARGET_URLS.get(entry.target_type)
    if not name or not str(entry.target_id).isdigit():
        return ""
    try:
        return reverse(name, args=[int(entry.target_id)])
    except NoReverseMatch:
        return ""


def action_label(code: str) -> str:
    """The translated label of an action code, or the code itself when none is registered."""
    return str(ACTION_LABELS.get(code, code))


def audit_changes(target_type: str, diff: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A diff as (field label, before, after) for people: the audited model's field names and choice labels where
    the key is one of its fields, the key and plain value otherwise. Values were written masked where sensitive."""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        model = None

    def labelled(key: str) -> tuple[str, Any]:
        return _label_and_field(target_type, model, key)

    rows = []
    for key, change in diff.items():
        before, after = change if isinstance(change, list | tuple) and len(change) == 2 else (None, change)
        label, field = labelled(key)
        rows.append((label, _shown(field, before, labelled), _shown(field, after, labelled)))
    return rows


def _label_and_field(target_type: str, model, key: str) -> tuple[str, Any]:
    """The reader's label of a diff key and the model field whose choices show its value (None for a plain key).
    A field Django named after itself (no verbose name given, e.g. a foreign key `delivery`) yields to a label
    registered for the key, so the reader never sees the code name."""
    field = _field(model, key)
    if field is not None and str(field.verbose_name) == field.name.replace("_", " "):
        field = key_label(target_type, key) or field
    field = field or _key_field(target_type, model, key)
    if isinstance(field, str | Promise):
        return str(field), None
    return (str(field.verbose_name) if field is not None else key.replace("_", " ")), field


def _key_field(target_type: str, model, key: str):
    """A key that is no field of the audited record: its registered label or field, else a field of that name on
    another model of the record's app (e.g. a registration's document "holder"), else None (audit_display)."""
    found = key_label(target_type, key)
    if found is not None or model is None:
        return found
    for other in apps.get_app_config(model._meta.app_label).get_models():
        field = _field(other, key)
        if field is not None:
            return field
    return None


def _field(model, name: str):
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except Exception:  # not a field of the model (a computed key such as "reason")
        return None
    return field if getattr(field, "concrete", False) else None  # a reverse relation has no label of its own


def _shown(field, value: Any, labelled: Callable[[str], tuple[str, Any]] | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return "、".join(_shown(field, v, labelled) for v in value)
    if isinstance(value, dict):  # a nested change (a registration's case, a checklist): each key labelled like a field
        parts = []
        for key, item in value.items():
            label, inner = labelled(str(key)) if labelled is not None else (str(key), None)
            parts.append(f"{label}: {_shown(inner, item, labelled)}")
        return "；".join(parts)
    choices = dict(field.flatchoices) if field is not None and getattr(field, "flatchoices", None) else {}
    if value in choices:
        return str(choices[value])
    return str(value)
