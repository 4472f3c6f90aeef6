from django import template

from dealerdesk.core.audit import action_label as _action_label
from dealerdesk.core.audit import audit_changes as _audit_changes
from dealerdesk.core.validators import mask_mobile

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return _action_label(code)


@register.simple_tag
def audit_changes(entry) -> list[tuple[str, str, str]]:
    """An audit entry's diff as (field label, before, after) in the reader's language: the model's field names and
    choice labels where the field is one of the audited record's, the raw key and value otherwise."""
    return _audit_changes(entry.target_type, entry.diff or {})


@register.filter
def masked_recipient(notification) -> str:
    """Who a message goes to, for the outbox page: a colleague by name, a customer's mobile or email masked."""
    if notification.recipient_user_id:
        return str(notification.recipient_user)
    value = notification.recipient or ""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if value.startswith("+") or value.isdigit():
        return mask_mobile(value)
    return value[:3] + "***" if value else "—"
