"""Store administrators edit the intent grades: label, purchase window and follow-up interval."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.audit import audit_record
from dealerdesk.core.errors import NotPermitted

from .models import IntentGradePolicy
from .services import ensure_grade_policies

MAX_INTERVAL_HOURS = 90 * 24


@transaction.atomic
def grade_policy_update(
    *, actor, policy: IntentGradePolicy, label: str, purchase_window: str, follow_up_hours: int, is_active: bool
) -> IntentGradePolicy:
    """Change one grade of a store. Grade N (new) always stays active: new customers start there."""
    if not user_can(actor, "store.manage", policy.store_id):
        raise NotPermitted()
    errors = {}
    label = (label or "").strip()
    if not label:
        errors["label"] = [_("Give the grade a label.")]
    if not isinstance(follow_up_hours, int) or not 1 <= follow_up_hours <= MAX_INTERVAL_HOURS:
        errors["follow_up_hours"] = [_("The interval must be between 1 hour and 90 days.")]
    if policy.code == "N" and not is_active:
        errors["is_active"] = [_("Grade N is where new customers start; it cannot be switched off.")]
    if errors:
        raise ValidationError(errors)
    before = {
        "label": policy.label,
        "window": policy.purchase_window,
        "hours": policy.follow_up_hours,
        "active": policy.is_active,
    }
    policy.label, policy.purchase_window = label, (purchase_window or "").strip()
    policy.follow_up_hours, policy.is_active = follow_up_hours, is_active
    policy.save()
    after = {"label": label, "window": policy.purchase_window, "hours": follow_up_hours, "active": is_active}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        audit_record(actor=actor, action="grade_policy.updated", target=policy, diff=changes)
    return policy


def grade_policies_for_admin(actor, store) -> list[IntentGradePolicy]:
    if not user_can(actor, "store.manage", store):
        raise NotPermitted()
    ensure_grade_policies(store.pk)
    return list(IntentGradePolicy.objects.filter(store=store).order_by("position"))
