"""`{{ code|lead_source:store }}`: a lead source's name in the reader's language, from the store's group list."""

from django import template

from dealerdesk.customers.lead_sources import lead_source_label

register = template.Library()


@register.filter
def lead_source(code: str, store) -> str:
    return lead_source_label(getattr(store, "group_id", None), code or "")
