"""One field-visibility policy (customers.visibility, docs/decisions/0013): every path that shows a customer or a
follow-up — API detail, list, search, follow-ups, timeline; the HTML card, list and search; the list export — is
walked as each role, and fails when it shows a field the policy hides from that role."""

import json
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from dealerdesk.accounts.roles import Role
from dealerdesk.customers import exports, services, visibility
from dealerdesk.customers.models import FollowUp
from dealerdesk.customers.visibility import ABSENT, CUSTOMER, FOLLOW_UP, MASKED

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
NAME = "甄秘密"
MOBILE = "13912345678"
MOBILE_MASKED = "139****5678"
ID = "11010519491231002X"
ID_MASKED = "1101**********002X"
# A text that only this field of the customer holds, to look for in every output.
MARKERS = {
    "birthday": "1949-12-31",
    "city": "CITYMARK",
    "occupation": "OCCMARK",
    "employer": "EMPMARK",
    "notes": "NOTEMARK",
    "tags": "TAGMARK",
    "campaign": "CAMPMARK",
    "preferred_time": "PTIMEMARK",
}
FOLLOW_UP_NOTES = "FUNOTEMARK"


@pytest.fixture
def owner(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def customer(store_a, owner):
    """A customer with every field filled, a completed follow-up with notes, and changes in the audit trail."""
    customer = services.customer_create(
        actor=owner,
        store=store_a,
        name=NAME,
        mobile=MOBILE,
        id_number=ID,
        city=MARKERS["city"],
        campaign=MARKERS["campaign"],
        tags=[MARKERS["tags"]],
        source="autohome",
    )
    customer = services.customer_update(
        actor=owner,
        customer=customer,
        notes=MARKERS["notes"],
        employer=MARKERS["employer"],
        occupation=MARKERS["occupation"],
        preferred_time=MARKERS["preferred_time"],
    )
    follow_up = FollowUp.objects.get(customer=customer)
    services.followup_complete(
        actor=owner, follow_up=follow_up, channel="phone", outcome="reached", notes=FOLLOW_UP_NOTES, new_grade="H"
    )
    customer.refresh_from_db()
    assert customer.birthday == date(1949, 12, 31)
    return customer


def _user(role, store_a, owner, make_staff):
    return owner if role == Role.CONSULTANT else make_staff(role, store_a)


def _allowed(user, resource, obj) -> dict[str, visibility.Access]:
    fields = visibility.access_map(user, resource, obj)
    allowed = {field: level for field, level in fields.items() if level > ABSENT}
    for alias, field in visibility.ALIASES[resource].items():
        if field in allowed:
            allowed[alias] = allowed[field]
    return allowed


def _check_row(row: dict, allowed: dict, raw: dict, where: str) -> None:
    """An API row shows no key the policy hides, and masks what it masks."""
    hidden = set(row) - set(allowed)
    assert not hidden, f"{where} shows {sorted(hidden)}"
    for key, value in row.items():
        if allowed[key] == MASKED and raw.get(key):
            assert value != raw[key] and "*" in value, f"{where} shows {key} unmasked"


@pytest.mark.parametrize("role", list(Role.values))
def test_no_path_shows_a_field_the_policy_hides(role, store_a, owner, make_staff, customer, api):
    user = _user(role, store_a, owner, make_staff)
    allowed = _allowed(user, CUSTOMER, customer)
    raw = {"mobile": customer.mobile, "id_number": customer.id_number}
    follow_ups = list(FollowUp.objects.filter(customer=customer).select_related("customer"))
    follow_up_allowed = _allowed(user, FOLLOW_UP, follow_ups[0])
    api.force_authenticate(user=user)
    client = Client()
    client.force_login(user)
    texts: dict[str, str] = {}

    # API: detail, list, search
    detail = api.get(f"{URL}{customer.pk}/")
    assert detail.status_code == 200
    _check_row(detail.json(), allowed, raw, "API detail")
    listed = [row for row in api.get(URL).json()["results"] if row["id"] == customer.pk]
    assert len(listed) == 1
    _check_row(listed[0], allowed, raw, "API list")
    found = api.post(f"{URL}search/", {"q": NAME}, format="json").json()["results"]
    assert [row["id"] for row in found] == [customer.pk]
    _check_row(found[0], allowed, raw, "API search")
    texts["API"] = json.dumps([detail.json(), listed, found], ensure_ascii=False)

    # API: follow-ups (the open and the done one)
    rows = [row for row in api.get("/api/v1/follow-ups/").json()["results"] if row.get("customer") == customer.pk]
    assert "done" in {row["status"] for row in rows if "status" in row} or "status" not in follow_up_allowed
    assert len(rows) >= 2
    for row in rows:
        _check_row(row, follow_up_allowed, {}, "API follow-ups")
    texts["API follow-ups"] = json.dumps(rows, ensure_ascii=False)

    # API: the timeline's audit diffs
    timeline = api.get(f"{URL}{customer.pk}/timeline/")
    if "history" in allowed:
        assert timeline.status_code == 200
        for entry in timeline.json()["results"]:
            customer_keys = {k for k in entry["diff"] if k in visibility.CUSTOMER_FIELDS}
            assert customer_keys <= set(allowed), f"timeline shows {sorted(customer_keys - set(allowed))}"
        texts["API timeline"] = json.dumps(timeline.json(), ensure_ascii=False)
    else:
        assert timeline.status_code == 403
        texts["API timeline"] = json.dumps(timeline.json(), ensure_ascii=False)

    # HTML: the card (with its timeline), the list, the search
    card = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    texts["HTML card"] = card
    for testid, field in (
        ("customer-stage", "stage"),
        ("next-follow-up", "next_follow_up_at"),
        ("id-masked", "id_number"),
        ("timeline", "history"),
        ("mobile-masked", "mobile"),
        ("customer-owner", "owner"),
    ):
        assert (f'data-testid="{testid}"' in card) == (field in allowed), f"HTML card: {testid}"
    texts["HTML list"] = client.get(reverse("customer_list")).content.decode()
    texts["HTML search"] = client.post(reverse("customer_search"), {"q": NAME}).content.decode()
    assert NAME in texts["HTML list"] and NAME in texts["HTML search"]

    # the list export, where the role may export; and its rows for this role in any case
    response = client.get(reverse("customer_export"), {"format": "csv"})
    if response.status_code == 200:
        texts["export"] = b"".join(response.streaming_content).decode("utf-8-sig")
        assert NAME in texts["export"]
    cells = next(exports._rows(exports.Customer.objects.filter(pk=customer.pk), user))
    for field, cell in zip(exports.COLUMN_FIELDS, cells, strict=True):
        if field not in allowed:
            assert cell == "", f"export shows {field}"
    texts["export rows"] = json.dumps([str(c) for c in cells], ensure_ascii=False)

    # no output holds the text of a hidden field, nor a full mobile or ID number
    for where, text in texts.items():
        for field, marker in MARKERS.items():
            if field not in allowed:
                assert marker not in text, f"{where} shows {field} to {role}"
        if FOLLOW_UP_NOTES in text:
            assert "notes" in follow_up_allowed and "history" in allowed, f"{where} shows follow-up notes to {role}"
        assert MOBILE not in text and ID not in text, f"{where} shows a full mobile or ID number to {role}"
        if "id_number" not in allowed:
            assert ID_MASKED not in text, f"{where} shows the masked ID number to {role}"
        if "mobile" not in allowed:
            assert MOBILE_MASKED not in text, f"{where} shows the masked mobile to {role}"

    # and the walk is not vacuous: what the policy shows is there
    body = detail.json()
    assert all(field in body for field in allowed if field in s_customer_fields())
    if "notes" in allowed:
        assert MARKERS["notes"] in texts["API"] and MARKERS["notes"] in texts["API timeline"]
    if "notes" in follow_up_allowed:
        assert FOLLOW_UP_NOTES in texts["API follow-ups"]


def s_customer_fields() -> set[str]:
    from dealerdesk.customers.api.serializers import CustomerSerializer

    return set(CustomerSerializer.Meta.fields)


def test_reception_gets_the_reduced_card_and_the_others_the_full_one(store_a, owner, make_staff, customer):
    """The table itself, as docs/data-protection.md states it."""
    reception = make_staff("receptionist", store_a)
    card = _allowed(reception, CUSTOMER, customer)
    assert card == {
        "id": visibility.VISIBLE,
        "name": visibility.VISIBLE,
        "store": visibility.VISIBLE,
        "owner": visibility.VISIBLE,
        "owner_name": visibility.VISIBLE,
        "intent_grade": visibility.VISIBLE,
        "mobile": MASKED,
    }
    follow_up = FollowUp.objects.filter(customer=customer).first()
    assert set(_allowed(reception, FOLLOW_UP, follow_up)) == {
        "id",
        "customer",
        "customer_name",
        "assignee",
        "purpose",
        "due_at",
        "status",
    }
    for role in ("sales_manager", "care_specialist", "admin_clerk", "store_admin", "group_admin"):
        full = _allowed(make_staff(role, store_a), CUSTOMER, customer)
        assert set(full) >= set(visibility.CUSTOMER_FIELDS), role
        assert full["mobile"] == full["id_number"] == MASKED
    assert _allowed(owner, CUSTOMER, customer)["notes"] == visibility.VISIBLE


def test_a_consultant_who_is_also_receptionist_sees_other_customers_by_the_reception_column(
    store_a, owner, make_staff, customer
):
    """Several roles: a role's column applies only to the customers its reach covers (a consultant: their own)."""
    from tests.factories import MembershipFactory

    both = make_staff("consultant", store_a)
    MembershipFactory(user=both, store=store_a, role="receptionist")
    both = type(both).objects.get(pk=both.pk)
    assert visibility.access(both, CUSTOMER, customer, "notes") == ABSENT  # the colleague's customer: reception
    mine = services.customer_create(actor=both, store=store_a, name="李四", mobile="13700137000", notes="我的")
    assert visibility.access(both, CUSTOMER, mine, "notes") == visibility.VISIBLE


def test_no_request_in_the_serializer_context_shows_nothing(customer):
    from dealerdesk.customers.api.serializers import CustomerSerializer

    assert CustomerSerializer(customer).data == {}
