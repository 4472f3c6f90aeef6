"""Navigation by role: each person sees only the sections their roles open."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .permissions import user_can

# (url name, label, icon, permission needed in any store or None)
NAVIGATION = [
    ("home", _("Home"), "house", None),
    ("my_day", _("My day"), "calendar-check", "sales.sell"),
    ("customer_list", _("Customers"), "person-vcard", "store.view"),
    ("manager_desk", _("Manager desk"), "clipboard-check", "customers.assign"),
    ("customer_report", _("Customer report"), "bar-chart", "reports.view_store"),
    ("import_list", _("Imports"), "upload", "customers.import"),
    ("audit_list", _("Audit trail"), "journal-text", "store.view_audit"),
    ("outbox_list", _("Outbox"), "send", "store.view_outbox"),
    ("staff_list", _("Staff"), "people", "store.manage"),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for url_name, label, icon, perm in NAVIGATION:
        if perm and not user_can(user, perm):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "icon": icon, "active": request.path == url})
    return {"nav_items": items}
