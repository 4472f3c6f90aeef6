"""The offers waiting for a manager's approval, counted in the navigation (accounts.queues)."""

from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.queues import Queue, register_queue

from .choices import OfferStatus
from .models import Offer


def _to_approve(user, store_ids) -> int | None:
    ids = store_ids("sales.approve_discount")
    return Offer.objects.filter(store_id__in=ids, status=OfferStatus.PENDING_APPROVAL).count() if ids else None


def register() -> None:
    register_queue(
        Queue(
            "offers_to_approve",
            _("Offers waiting for approval"),
            "manager_desk",
            _to_approve,
            link="offer_list",
            query="status=pending_approval",
        )
    )
