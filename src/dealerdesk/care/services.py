"""Writes of the care desk. Completing a call is the customers' one follow-up service
(`customers.services.followup_complete`): the care desk, the customer page and the API all go through it."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.audit import audit_record
from dealerdesk.core.errors import NotPermitted

from .choices import CallType
from .models import CallScript

TITLE_MAX = 100
BODY_MAX = 4000


def may_edit_scripts(user: User, store: Store | int) -> bool:
    """The store's care desk and its administrators write the call scripts."""
    return user_can(user, "care.manage", store) or user_can(user, "store.manage", store)


@transaction.atomic
def script_save(*, actor: User, store: Store, call_type: str, title: Any, body: Any) -> CallScript:
    """Write the store's script for one kind of call (replacing its own or the default)."""
    if not may_edit_scripts(actor, store):
        raise NotPermitted(_("Only the care desk or a store administrator edits the call scripts."))
    errors: dict[str, list] = {}
    if call_type not in CallType.values:
        errors["call_type"] = [_("Choose a kind of call.")]
    title = title.strip() if isinstance(title, str) else ""
    body = body.strip() if isinstance(body, str) else ""
    if not title:
        errors["title"] = [_("Give the script a title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("The title is at most %(n)d characters.") % {"n": TITLE_MAX}]
    if not body:
        errors["body"] = [_("Write what to say on the call.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("The script is at most %(n)d characters.") % {"n": BODY_MAX}]
    if errors:
        raise ValidationError(errors)
    script = CallScript.objects.select_for_update().filter(store=store, call_type=call_type).first()
    before = (script.title, script.body) if script else (None, None)
    if script is None:
        script = CallScript(store=store, call_type=call_type)
    script.title, script.body = title, body
    script.updated_by, script.updated_at = actor, timezone.now()
    script.save()
    audit_record(
        actor=actor,
        action="callscript.saved",
        target=script,
        store_id=store.pk,
        diff={"call_type": [None, call_type], "title": [before[0], title], "body": [before[1], body]},
    )
    return script
