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


class DepositDecision(models.TextChoices):
    """What happens to the deposit when an order is cancelled (per the contract's cancellation terms)."""

    REFUND = "refund", _("Deposit refunded")
    FORFEIT = "forfeit", _("Deposit forfeited")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Being filled")
    PENDING_SIGNATURE = "pending_signature", _("Waiting for signatures")
    SIGNED = "signed", _("Signed")
    CANCELLED = "cancelled", _("Cancelled")


# A signed contract never moves again: a change is an amendment (a new contract linked to it).
CONTRACT_MOVES: dict[str, frozenset[str]] = {
    ContractStatus.DRAFT: frozenset({ContractStatus.PENDING_SIGNATURE, ContractStatus.CANCELLED}),
    ContractStatus.PENDING_SIGNATURE: frozenset(
        {ContractStatus.DRAFT, ContractStatus.SIGNED, ContractStatus.CANCELLED}
    ),
    ContractStatus.SIGNED: frozenset(),
    ContractStatus.CANCELLED: frozenset(),
}


class SignatureParty(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    CONSULTANT = "consultant", _("Sales consultant")
    MANAGER = "manager", _("Manager for the store")


class PaymentKind(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit")
    BALANCE = "balance", _("Balance")
    REFUND = "refund", _("Refund")


class PaymentChannel(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card")
    TRANSFER = "transfer", _("Bank transfer")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    LOAN = "loan", _("Loan disbursement")
