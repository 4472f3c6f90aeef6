"""Money and catalogue display filters."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """¥189,800 (fen shown only when there are any)."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value)
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"¥{text}"


@register.filter
def wan(value) -> str:
    """18.98万: a price as staff say it."""
    if value in (None, ""):
        return "—"
    return f"{(Decimal(value) / 10000).quantize(Decimal('0.01')).normalize():f}万"


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when missing)."""
    return mapping.get(key) if mapping else None
