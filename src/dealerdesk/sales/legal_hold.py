"""Signed contracts are sales records under legal hold (10 years): erasing a customer anonymises around them."""

from .choices import ContractStatus
from .models import Contract


def has_signed_contract(customer) -> bool:
    """Whether the customer has a signed contract (registered in customers.privacy.LEGAL_HOLDS)."""
    return Contract.objects.filter(customer_id=customer.pk, status=ContractStatus.SIGNED).exists()


def register() -> None:
    from dealerdesk.customers.privacy import LEGAL_HOLDS

    if has_signed_contract not in LEGAL_HOLDS:
        LEGAL_HOLDS.append(has_signed_contract)
