"""The seven roles of a dealership and the permissions each implies (DESIGN §1).

Permissions are codes checked per store through `permissions.user_can`; roles are data, not Django groups,
so one person can hold different roles in different stores.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RECEPTIONIST = "receptionist", _("Receptionist")
    CONSULTANT = "consultant", _("Sales consultant")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    CARE_SPECIALIST = "care_specialist", _("Customer-care specialist")
    ADMIN_CLERK = "admin_clerk", _("Administration / registration clerk")
    STORE_ADMIN = "store_admin", _("Store administrator")
    GROUP_ADMIN = "group_admin", _("Group administrator")


# Permission code → what it allows. Codes are "<area>.<verb>" and stay stable for API clients.
PERMISSIONS: dict[str, str] = {
    "store.view": _("See the store and its daily work"),
    "store.view_audit": _("See the store's audit trail"),
    "store.manage": _("Manage the store's settings, staff, catalogue, prices and templates"),
    "store.view_outbox": _("See and retry the store's outgoing messages"),
    "visits.log": _("Log showroom visits and quick-register customers"),
    "customers.view_own": _("See own customers"),
    "customers.view_store": _("See every customer of the store"),
    "customers.view_card": _("See a reduced customer card (masked contact data)"),
    "customers.edit": _("Create and edit customers"),
    "customers.reveal": _("Reveal masked personal data (logged)"),
    "customers.assign": _("Reassign customers between consultants"),
    "customers.approve_lost": _("Approve lost (战败) prospects"),
    "customers.export": _("Export customer lists"),
    "customers.export_large": _("Export more than 1,000 customers at once"),
    "customers.import": _("Import customers from spreadsheets"),
    "sales.sell": _("Needs analysis, offers, test drives, orders"),
    "testdrives.book": _("Book, confirm and reschedule test drives"),
    "fleet.manage": _("Manage demo cars, test-drive routes and checklists"),
    "stock.manage": _("Receive vehicles into stock and update where they stand"),
    "payments.record": _("Record deposits, balances, refunds and loan decisions"),
    "sales.approve_discount": _("Approve discounts beyond the consultant's limit"),
    "sales.sign_for_store": _("Sign contracts for the store"),
    "paperwork.manage": _("Contracts archive, delivery documents, registration"),
    "care.manage": _("Follow-up calls, surveys and complaints"),
    "reports.view_store": _("See the store's reports"),
    "reports.view_group": _("See group reports across stores"),
}

_SELLING = {
    "store.view",
    "customers.view_own",
    "customers.edit",
    "sales.sell",
    "customers.export",
    "testdrives.book",
}
_MANAGING = _SELLING | {
    "store.view_audit",
    "customers.view_store",
    "customers.reveal",
    "customers.assign",
    "customers.approve_lost",
    "customers.export_large",
    "customers.import",
    "sales.approve_discount",
    "sales.sign_for_store",
    "reports.view_store",
    "store.view_outbox",
    "fleet.manage",
    "stock.manage",
    "payments.record",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.RECEPTIONIST: frozenset(
        {"store.view", "visits.log", "customers.view_card", "customers.edit", "testdrives.book"}
    ),
    Role.CONSULTANT: frozenset(_SELLING | {"customers.reveal"}),
    Role.SALES_MANAGER: frozenset(_MANAGING),
    Role.CARE_SPECIALIST: frozenset(
        {"store.view", "customers.view_store", "customers.reveal", "care.manage", "reports.view_store"}
    ),
    Role.ADMIN_CLERK: frozenset(
        {"store.view", "customers.view_store", "customers.reveal", "paperwork.manage", "payments.record"}
    ),
    Role.STORE_ADMIN: frozenset(_MANAGING | {"store.manage"}),
    Role.GROUP_ADMIN: frozenset(set(PERMISSIONS)),
}

assert all(perms <= set(PERMISSIONS) for perms in ROLE_PERMISSIONS.values())
