from django import template

from dealerdesk.core.audit import action_label as _action_label
from dealerdesk.core.audit import audit_changes as _audit_changes

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return _action_label(code)


@register.simple_tag
def audit_changes(entry) -> list[tuple[str, str, str]]:
    """An audit entry's diff as (field label, before, after) in the reader's language: the model's field names and
    choice labels where the field is one of the audited record's, the raw key and value otherwise."""
    return _audit_changes(entry.target_type, entry.diff or {})
