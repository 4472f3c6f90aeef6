from django import template

from dealerdesk.core import audit_display
from dealerdesk.core.audit import action_label as _action_label
from dealerdesk.core.audit import audit_changes as _audit_changes
from dealerdesk.core.validators import mask_mobile

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return _action_label(code)


@register.simple_tag(takes_context=True)
def audit_changes(context, entry) -> list[tuple[str, str, str]]:
    """An audit entry's diff as (field label, before, after) in the reader's language: the model's field names and
    choice labels where the field is one of the audited record's, the raw key and value otherwise.

    Only what the reader may see of it (`core.audit_display`: the policy of the app whose record it is drops or
    masks fields, identifiers are masked for everyone); a page of entries calls `audit_display.prepare` first so
    that the policies read what they need once for the page. No signed-in reader in the context: no change shown.
    """
    request = context.get("request")
    user = getattr(request, "user", None) if request is not None else context.get("user")
    return _audit_changes(entry.target_type, audit_display.shown_diff(user, entry))


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
