"""Order statuses and their allowed moves (DESIGN §6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_SIGNATURE = "pending_signature", _("Waiting for signatures")
    SIGNED = "signed", _("Signed")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


# A signed order is cancelled only under the contract's cancellation terms (recorded with the deposit decision).
ORDER_MOVES: dict[str, frozenset[str]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.PENDING_SIGNATURE, OrderStatus.CANCELLED}),
    OrderStatus.PENDING_SIGNATURE: frozenset({OrderStatus.DRAFT, OrderStatus.SIGNED, OrderStatus.CANCELLED}),
    OrderStatus.SIGNED: frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

LIVE_ORDER_STATUSES = frozenset(
    {OrderStatus.DRAFT, OrderStatus.PENDING_SIGNATURE, OrderStatus.SIGNED, OrderStatus.DELIVERED}
)


class PaymentMethod(models.TextChoices):
    FULL = "full", _("Full payment")
    LOAN = "loan", _("Loan (financed)")


class LoanStatus(models.TextChoices):
    NONE = "none", _("No loan")
    APPLIED = "applied", _("Loan applied for")
    APPROVED = "approved", _("Loan approved")
    REFUSED = "refused", _("Loan refused")
