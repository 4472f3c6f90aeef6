"""Contracts the customer and the consultant signed that wait for the manager's signature for the store, counted in
the navigation (accounts.queues)."""

from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.queues import Queue, register_queue

from .choices import ContractStatus
from .models import Contract


def waiting_for_store_signature():
    """Contracts signed by the customer and the consultant, not yet by a manager."""
    return Contract.objects.filter(
        status=ContractStatus.PENDING_SIGNATURE,
        customer_signed_at__isnull=False,
        consultant_signed_at__isnull=False,
        manager_signed_at__isnull=True,
    )


def _to_sign(user, store_ids) -> int | None:
    ids = store_ids("sales.sign_for_store")
    return waiting_for_store_signature().filter(store_id__in=ids).count() if ids else None


def register() -> None:
    register_queue(
        Queue(
            "contracts_to_sign",
            _("Contracts waiting for your signature"),
            "manager_desk",
            _to_sign,
            link="order_list",
            query="status=pending_signature",
        )
    )
