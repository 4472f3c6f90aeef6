"""Navigation by role: each person sees only the sections their roles open."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .permissions import user_can

# (url name, label, icon, permission needed in any store or None)
NAVIGATION = [
    ("home", _("Home"), "house", None),
    ("reception_desk", _("Reception"), "door-open", "visits.log"),
    ("traffic_board", _("Showroom"), "people", "store.view"),
    ("my_day", _("My day"), "calendar-check", "sales.sell"),
    ("care_day", _("Care calls"), "headset", "care.manage"),
    ("customer_list", _("Customers"), "person-vcard", "store.view"),
    ("manager_desk", _("Manager desk"), "clipboard-check", "customers.assign"),
    ("catalog_home", _("Catalogue"), "car-front", "store.view"),
    ("offer_list", _("Offers"), "receipt", "sales.sell"),
    ("testdrive_day", _("Test drives"), "speedometer2", "testdrives.book"),
    ("order_list", _("Orders"), "file-earmark-text", ("sales.sell", "payments.record")),
    ("delivery_calendar", _("Deliveries"), "key", ("paperwork.manage", "sales.sell")),
    ("registration_list", _("Registration"), "card-heading", ("paperwork.manage", "sales.approve_discount")),
]

# Less frequent, administrative pages: shown in a "Management" menu.
MANAGEMENT = [
    ("customer_report", _("Customer report"), "bar-chart", "reports.view_store"),
    ("traffic_report", _("Traffic report"), "graph-up", "reports.view_store"),
    ("promotion_list", _("Promotions"), "tags", "store.manage"),
    ("demo_car_list", _("Demo cars"), "car-front-fill", "fleet.manage"),
    ("contract_template_list", _("Contract templates"), "file-ruled", "store.manage"),
    ("contract_archive", _("Contract archive"), "archive", "paperwork.manage"),
    ("gift_list", _("Gifts"), "gift", ("paperwork.manage", "sales.approve_discount")),
    ("import_list", _("Imports"), "upload", "customers.import"),
    ("audit_list", _("Audit trail"), "journal-text", "store.view_audit"),
    ("outbox_list", _("Outbox"), "send", "store.view_outbox"),
    ("staff_list", _("Staff"), "people", "store.manage"),
    ("grade_settings", _("Intent grades"), "sliders", "store.manage"),
    ("care_script_list", _("Call scripts"), "file-text", ("care.manage", "store.manage")),
    ("lead_source_settings", _("Lead sources"), "signpost-split", "store.manage"),
]


def _items(request, entries) -> list[dict]:
    items = []
    for url_name, label, icon, perm in entries:
        perms = (perm,) if isinstance(perm, str) else perm or ()
        if perms and not any(user_can(request.user, p) for p in perms):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"name": url_name, "url": url, "label": label, "icon": icon, "active": active})
    return items


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_items": _items(request, NAVIGATION), "nav_management": _items(request, MANAGEMENT)}
