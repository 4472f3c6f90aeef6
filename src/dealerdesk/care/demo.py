"""Demo data of the care desk for `dealerdesk demo_data`: each demo store's call scripts (the standard ones, in
Chinese) and a few calls waiting on the desk today — one overdue, two due today — about the store's owners (or its
customers when it has no owner yet), so the care specialist's day is not empty after loading. Idempotent: scripts
are created only where missing, the calls only when the store has none of the demo's."""

import datetime

from django.db import transaction
from django.utils import timezone, translation

from dealerdesk.accounts.models import Membership, Store
from dealerdesk.accounts.roles import Role
from dealerdesk.customers.choices import CARE_ROLE, FollowUpPurpose, FollowUpStatus, Stage
from dealerdesk.customers.models import Customer, FollowUp

from .choices import CallType
from .models import CallScript
from .scripts import default_script

DEMO_STORES = ("sz-futian", "gz-tianhe")
MARK = "[演示] "  # the demo calls' notes start with it
# (days from today, hour, purpose, note)
CALLS = (
    (-1, 10, FollowUpPurpose.POST_DELIVERY, "交车后回访（演示）：上次未接通，请再次联系。"),
    (0, 10, FollowUpPurpose.CARE, "客户来电咨询首保时间，请回电并完成满意度回访。"),
    (0, 15, FollowUpPurpose.POST_DELIVERY, "交车后回访（演示）：了解用车情况与满意度。"),
)


def load(stdout=None) -> int:
    """Create what is missing; returns how many rows were created."""
    created = 0
    for store in Store.objects.filter(code__in=DEMO_STORES).order_by("code"):
        created += _store(store)
    if stdout:
        stdout.write(f"demo care desk: {created} new" if created else "demo care desk: already loaded")
    return created


@transaction.atomic
def _store(store: Store) -> int:
    created = 0
    with translation.override("zh-hans"):
        for call_type in CallType.values:
            script = default_script(call_type)
            _row, new = CallScript.objects.get_or_create(
                store=store, call_type=call_type, defaults={"title": script.title, "body": script.body}
            )
            created += new
    if FollowUp.objects.filter(store=store, role=CARE_ROLE, notes__startswith=MARK).exists():
        return created
    care = (
        Membership.objects.filter(store=store, role=Role.CARE_SPECIALIST, is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    customers = list(
        Customer.objects.filter(store=store, stage=Stage.OWNER, merged_into__isnull=True).order_by("id")[:3]
    )
    if len(customers) < len(CALLS):
        customers += list(
            Customer.objects.filter(store=store, merged_into__isnull=True)
            .exclude(pk__in=[c.pk for c in customers])
            .order_by("id")[: len(CALLS) - len(customers)]
        )
    today = timezone.localtime(timezone.now(), store.tz).date()
    for customer, (days, hour, purpose, note) in zip(customers, CALLS, strict=False):
        due = datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(hour), tzinfo=store.tz)
        FollowUp.objects.create(
            store=store,
            customer=customer,
            assignee=care.user if care else None,
            role=CARE_ROLE,
            purpose=purpose,
            due_at=due,
            status=FollowUpStatus.OPEN,
            notes=MARK + note,
            grade_before=customer.intent_grade,
        )
        created += 1
    return created
