"""Which fields of a customer each role sees: ONE table, role → field → access, for the two customer-bearing
resources (`Customer` and `FollowUp`). DESIGN §11 "one rule in one place": the API serializers, the customer card,
the list and search results, the list export and the timeline's audit-diff display all ask this module; none of them
decides on its own (docs/decisions/0013-field-visibility.md).

Access of a field:

- `VISIBLE`: the value as stored;
- `MASKED`: only the masked value (`138****8000`, `1101**********1234`); the full value only through the logged
  reveal, and only for roles with `customers.reveal`;
- `ABSENT`: not given at all (left out of API answers, blank in exports, not rendered, dropped from audit diffs).

Row scoping (who may open the customer at all) stays in `selectors.customer_visible_to`; this module decides the
fields of a row that is already visible. A role's column applies to the customers its reach covers: a role that
sees the whole store (`customers.view_store`) or the store's reduced cards (`customers.view_card`) to every
customer of the store, a role that sees its own customers (`customers.view_own`) to those it owns. A person with
several roles in the store gets, field by field, the widest access among the roles whose reach covers the customer;
a field the table does not name is ABSENT (a new field is hidden until someone decides who sees it).
"""

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any

from dealerdesk.accounts.roles import ROLE_PERMISSIONS, Role
from dealerdesk.core import validators as v


class Access(IntEnum):
    ABSENT = 0
    MASKED = 1
    VISIBLE = 2


ABSENT, MASKED, VISIBLE = Access.ABSENT, Access.MASKED, Access.VISIBLE

CUSTOMER = "customer"
FOLLOW_UP = "follow_up"

# Every field of the Customer resource that any path shows. "history" stands for the card's sections and records
# about the person (follow-ups, needs, vehicles, other contact points, consents, shared notes, the records of later
# apps and the timeline); "owner_name" is the owner shown by name.
CUSTOMER_FIELDS = (
    "id",
    "name",
    "store",
    "owner",
    "intent_grade",
    "mobile",
    "id_number",
    "gender",
    "birthday",
    "source",
    "campaign",
    "city",
    "occupation",
    "employer",
    "notes",
    "tags",
    "stage",
    "preferred_channel",
    "preferred_time",
    "next_follow_up_at",
    "last_contact_at",
    "created_at",
    "history",
)
FOLLOW_UP_FIELDS = (
    "id",
    "customer",
    "customer_name",
    "assignee",
    "purpose",
    "due_at",
    "status",
    "completed_at",
    "channel",
    "outcome",
    "notes",
    "grade_before",
    "grade_after",
    "role",
    "satisfaction_score",
    "next_step",
)
ALIASES = {CUSTOMER: {"owner_name": "owner"}, FOLLOW_UP: {}}

# The reduced card of reception (data-protection.md): who the person is, how to recognise them on the phone (masked
# mobile), who looks after them and how warm they are — enough to route a walk-in, nothing of the file.
_CARD = {"id": VISIBLE, "name": VISIBLE, "store": VISIBLE, "owner": VISIBLE, "intent_grade": VISIBLE, "mobile": MASKED}
# The full card: everything, with the mobile and the ID number masked (revealed only by the logged reveal).
_FULL = dict.fromkeys(CUSTOMER_FIELDS, VISIBLE) | {"mobile": MASKED, "id_number": MASKED}
# Follow-ups: reception may see that a contact is planned (who, when, why, status), not what was said or decided.
_FOLLOW_UP_CARD = dict.fromkeys(("id", "customer", "customer_name", "assignee", "purpose", "due_at", "status"), VISIBLE)
_FOLLOW_UP_FULL = dict.fromkeys(FOLLOW_UP_FIELDS, VISIBLE)

POLICY: dict[str, dict[str, dict[str, Access]]] = {
    CUSTOMER: {
        Role.RECEPTIONIST: _CARD,
        Role.CONSULTANT: _FULL,
        Role.SALES_MANAGER: _FULL,
        Role.CARE_SPECIALIST: _FULL,
        Role.ADMIN_CLERK: _FULL,
        Role.STORE_ADMIN: _FULL,
        Role.GROUP_ADMIN: _FULL,
    },
    FOLLOW_UP: {
        Role.RECEPTIONIST: _FOLLOW_UP_CARD,
        Role.CONSULTANT: _FOLLOW_UP_FULL,
        Role.SALES_MANAGER: _FOLLOW_UP_FULL,
        Role.CARE_SPECIALIST: _FOLLOW_UP_FULL,
        Role.ADMIN_CLERK: _FOLLOW_UP_FULL,
        Role.STORE_ADMIN: _FOLLOW_UP_FULL,
        Role.GROUP_ADMIN: _FOLLOW_UP_FULL,
    },
}
FIELDS = {CUSTOMER: CUSTOMER_FIELDS, FOLLOW_UP: FOLLOW_UP_FIELDS}

assert set(POLICY[CUSTOMER]) == set(POLICY[FOLLOW_UP]) == set(Role.values)
assert all(set(row) <= set(FIELDS[res]) for res, rows in POLICY.items() for row in rows.values())

_MASKERS = {"mobile": v.mask_mobile, "id_number": v.mask_resident_id}
# The fields that identify a person by themselves: at most MASKED in every audit diff, for every role and whatever
# record the diff is about (the full value only through the logged reveal). Registered with `core.audit_display`.
IDENTIFIERS = tuple(_MASKERS)
_NOTHING: Mapping[str, Access] = {}


# ---------------------------------------------------------------- what a user sees of one row


def _subject(resource: str, obj: Any) -> tuple[int | None, int | None]:
    """(store id, owner id) of the customer a row is about."""
    if resource == CUSTOMER:
        return obj.store_id, obj.owner_id
    if resource == FOLLOW_UP:
        return obj.store_id, obj.customer.owner_id
    raise KeyError(resource)


def _reaches(role: str, user, owner_id: int | None) -> bool:
    perms = ROLE_PERMISSIONS[role]
    if "customers.view_store" in perms or "customers.view_card" in perms:
        return True
    return "customers.view_own" in perms and owner_id is not None and owner_id == user.pk


def _roles_reaching(user, store_id: int | None, owner_id: int | None) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or store_id is None:
        return set()
    if user.is_superuser:
        return {Role.GROUP_ADMIN}
    visible = user.visible_store_ids()
    if visible is not None and store_id not in visible:
        return set()
    return {role for role in user.roles_in(store_id) if _reaches(role, user, owner_id)}


def access_map(user, resource: str, obj: Any) -> Mapping[str, Access]:
    """{field: access} of the row for the user (fields left out are ABSENT). Cached on the user per store and
    ownership, so a list asks the roles once."""
    store_id, owner_id = _subject(resource, obj)
    owns = owner_id is not None and owner_id == getattr(user, "pk", None)
    cache = user.__dict__.setdefault("_field_visibility", {}) if user is not None else {}
    key = (resource, store_id, owns)
    if key not in cache:
        roles = _roles_reaching(user, store_id, owner_id)
        merged: dict[str, Access] = {}
        for role in roles:
            for field, access in POLICY[resource][role].items():
                if access > merged.get(field, ABSENT):
                    merged[field] = access
        cache[key] = merged if roles else _NOTHING
    return cache[key]


def access(user, resource: str, obj: Any, field: str) -> Access:
    field = ALIASES[resource].get(field, field)
    return access_map(user, resource, obj).get(field, ABSENT)


def sees(user, resource: str, obj: Any, field: str) -> bool:
    """Whether the field is shown at all (masked or in full)."""
    return access(user, resource, obj, field) > ABSENT


def shown(user, resource: str, obj: Any) -> dict[str, bool]:
    """{field: shown?} for every field of the resource, for templates (`{% if shown.birthday %}`)."""
    fields = access_map(user, resource, obj)
    return {field: fields.get(field, ABSENT) > ABSENT for field in FIELDS[resource]}


def mask(field: str, value: Any) -> Any:
    """The masked form of a value; empty values and values already masked (audit diffs say "***", a masked mobile
    reads 138****8000) stay as they are."""
    if value in (None, "") or not isinstance(value, str) or "*" in value:
        return value
    masker = _MASKERS.get(field)
    return masker(value) if masker else "***"


def value(user, resource: str, obj: Any, field: str, raw: Any = None) -> Any:
    """What the user is shown of one field: the value, the masked value, or None when it is ABSENT.

    `raw` is the value to show (default: the attribute of the same name).
    """
    level = access(user, resource, obj, field)
    if level == ABSENT:
        return None
    if raw is None:
        raw = getattr(obj, field)
    return mask(field, raw) if level == MASKED else raw


def present(user, resource: str, obj: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """An already-serialised row (`{field: value}`) cut to what the user may see: ABSENT keys left out, MASKED values
    masked. Keys the policy does not name are left out."""
    fields = access_map(user, resource, obj)
    aliases = ALIASES[resource]
    out = {}
    for key, item in data.items():
        level = fields.get(aliases.get(key, key), ABSENT)
        if level == VISIBLE:
            out[key] = item
        elif level == MASKED:
            out[key] = mask(key, item)
    return out


FOLLOW_UP_TARGET = "customers.followup"


def audit_diff(user, customer: Any, diff: Mapping[str, Any], *, target_type: str = "") -> dict[str, Any]:
    """An audit entry's diff about the customer, for display: each key that is a customer field by the customer
    policy (ABSENT dropped, MASKED masked on both sides); in an entry about one of their follow-ups
    (`target_type`), the follow-up's fields by the follow-up policy; other keys (a reason, a legal hold, a grade, a
    later app's fields) only for those who see the customer's history. A mobile or an ID number is never shown in
    full, whichever key group it falls in."""
    fields = access_map(user, CUSTOMER, customer)
    follow_up = (
        access_map(user, FOLLOW_UP, _FollowUpOf(customer.store_id, customer)) if target_type == FOLLOW_UP_TARGET else {}
    )
    history = VISIBLE if fields.get("history", ABSENT) > ABSENT else ABSENT
    out: dict[str, Any] = {}
    for key, change in (diff or {}).items():
        if target_type == FOLLOW_UP_TARGET and key in FOLLOW_UP_FIELDS:
            level = follow_up.get(key, ABSENT)
        elif key in CUSTOMER_FIELDS and key != "history":
            level = fields.get(key, ABSENT)
        else:
            level = history
        if key in _MASKERS:
            level = min(level, MASKED)
        if level == VISIBLE:
            out[key] = change
        elif level == MASKED:
            out[key] = [mask(key, item) for item in change] if isinstance(change, list) else mask(key, change)
    return out


class _FollowUpOf:
    """What the follow-up policy needs of a follow-up of `customer` (its store and whose customer it is)."""

    __slots__ = ("customer", "store_id")

    def __init__(self, store_id: int | None, customer: Any):
        self.store_id = store_id
        self.customer = customer


def audit_diffs(user, entries: Sequence[Any]) -> dict[int, dict[str, Any]]:
    """The audit-trail policy of customers (registered with `core.audit_display` in `CustomersConfig.ready`): each
    entry about a customer — of any app: it carries `customer_id`, or the customer is its target — with its diff as
    `audit_diff` gives it to `user`. One query for the whole page. An entry whose customer is gone shows nothing;
    entries about no customer are not claimed."""
    from .models import Customer

    subject: dict[int, int] = {}
    for entry in entries:
        customer_id = entry.customer_id
        if customer_id is None and entry.target_type == "customers.customer" and str(entry.target_id).isdigit():
            customer_id = int(entry.target_id)  # an entry written before audit entries carried the customer
        if customer_id is not None:
            subject[entry.pk] = customer_id
    if not subject:
        return {}
    customers = Customer.objects.filter(pk__in=set(subject.values())).only("id", "store_id", "owner_id")
    by_id = {customer.pk: customer for customer in customers}
    out: dict[int, dict[str, Any]] = {}
    for entry in entries:
        if entry.pk not in subject:
            continue
        customer = by_id.get(subject[entry.pk])
        out[entry.pk] = (
            {} if customer is None else audit_diff(user, customer, entry.diff or {}, target_type=entry.target_type)
        )
    return out


def mobile_shown_only_masked(user) -> bool:
    """Whether the user reaches customers whose mobile they may only ever see masked: one of their roles, in a store
    they can see, reaches customers (the store's, its cards, or its own) without `customers.reveal` (reception; a
    consultant who also works the desk). For such a user a full mobile typed into search would confirm a masked one,
    so search treats it as a logged, rate-limited lookup (`search.py`). Someone not signed in counts as such a user."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return True
    if user.is_superuser:
        return False
    for store_id in user.visible_store_ids() or ():
        for role in user.roles_in(store_id):
            perms = ROLE_PERMISSIONS[role]
            reaches = perms & {"customers.view_store", "customers.view_card", "customers.view_own"}
            if reaches and "customers.reveal" not in perms:
                return True
    return False


def policy_table() -> list[tuple[str, str, dict[str, str]]]:
    """The table as (resource, field, {role: "visible" | "masked" | "absent"}) rows, for the docs and tests."""
    rows = []
    for resource, fields in FIELDS.items():
        for field in fields:
            rows.append(
                (
                    resource,
                    field,
                    {role: POLICY[resource][role].get(field, ABSENT).name.lower() for role in Role.values},
                )
            )
    return rows
