"""Vocabularies of promotions and offers, and the offer's allowed moves (DESIGN §5.4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PromotionKind(models.TextChoices):
    CASH_DISCOUNT = "cash_discount", _("Cash discount")
    PERCENTAGE_DISCOUNT = "percentage_discount", _("Percentage discount")
    FINANCE_SUBSIDY = "finance_subsidy", _("Finance rate subsidy")
    TRADE_IN_SUBSIDY = "trade_in_subsidy", _("Trade-in / scrappage subsidy")
    INSURANCE_SUBSIDY = "insurance_subsidy", _("Insurance subsidy")
    GIFT = "gift", _("Gift")
    FREE_MAINTENANCE = "free_maintenance", _("Free maintenance package")


# Promotions that lower the price of the vehicle (a negative line); the others are benefits in kind, shown with
# their value but not deducted from what the customer pays.
PRICE_REDUCING = frozenset(
    {
        PromotionKind.CASH_DISCOUNT,
        PromotionKind.PERCENTAGE_DISCOUNT,
        PromotionKind.FINANCE_SUBSIDY,
        PromotionKind.TRADE_IN_SUBSIDY,
        PromotionKind.INSURANCE_SUBSIDY,
    }
)
IN_KIND = frozenset({PromotionKind.GIFT, PromotionKind.FREE_MAINTENANCE})


class LineKind(models.TextChoices):
    MARKED_PRICE = "marked_price", _("Marked price")
    COLOUR = "colour", _("Colour")
    OPTION = "option", _("Option")
    DISCOUNT = "discount", _("Promotion")
    GIFT = "gift", _("Gift")
    EXTRA_DISCOUNT = "extra_discount", _("Extra discount")
    SERVICE = "service", _("Optional service")
    TOTAL = "total", _("Total")


class ServiceKind(models.TextChoices):
    INSURANCE = "insurance", _("Insurance")
    FINANCE = "finance", _("Finance service")
    REGISTRATION = "registration", _("Registration service")
    ACCESSORIES = "accessories", _("Accessories")
    EXTENDED_WARRANTY = "extended_warranty", _("Extended warranty")


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    ACCEPTED = "accepted", _("Accepted by the customer")
    EXPIRED = "expired", _("Expired")


# Allowed moves. A revision (a new version) moves an open offer back to draft or pending approval, depending on
# whether the new version needs a manager.
OFFER_MOVES: dict[str, frozenset[str]] = {
    OfferStatus.DRAFT: frozenset(
        {OfferStatus.DRAFT, OfferStatus.PENDING_APPROVAL, OfferStatus.ACCEPTED, OfferStatus.EXPIRED}
    ),
    OfferStatus.PENDING_APPROVAL: frozenset(
        {
            OfferStatus.APPROVED,
            OfferStatus.REFUSED,
            OfferStatus.DRAFT,
            OfferStatus.PENDING_APPROVAL,
            OfferStatus.EXPIRED,
        }
    ),
    OfferStatus.APPROVED: frozenset(
        {OfferStatus.ACCEPTED, OfferStatus.EXPIRED, OfferStatus.DRAFT, OfferStatus.PENDING_APPROVAL}
    ),
    OfferStatus.REFUSED: frozenset({OfferStatus.DRAFT, OfferStatus.PENDING_APPROVAL}),
    OfferStatus.ACCEPTED: frozenset(),
    OfferStatus.EXPIRED: frozenset(),
}

OPEN_STATUSES = frozenset({OfferStatus.DRAFT, OfferStatus.PENDING_APPROVAL, OfferStatus.APPROVED})
REVISABLE = frozenset(s for s, moves in OFFER_MOVES.items() if OfferStatus.DRAFT in moves)
