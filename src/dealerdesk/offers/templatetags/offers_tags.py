"""Template filters of the offers pages."""

from decimal import Decimal

from django import template

from dealerdesk.offers.engine import yuan as _yuan

register = template.Library()


@register.filter
def yuan(value) -> str:
    """¥12,345.00; an empty value shows as a dash."""
    if value in (None, ""):
        return "—"
    return _yuan(Decimal(value))


@register.filter
def field_errors(errors: dict, name: str) -> list:
    """The messages for one field of a service's error dict."""
    return (errors or {}).get(name, [])
