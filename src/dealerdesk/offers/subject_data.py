"""What the offers app holds about a customer, for their subject-access export (PIPL access request)."""

from dealerdesk.customers.privacy import register_subject_section

from .models import Offer


def offers(customer) -> list[dict]:
    """Each offer made to them, with the prices of its current version."""
    rows = []
    for offer in (
        Offer.objects.filter(customer=customer)
        .select_related("consultant", "current__trim__series__brand", "current__colour")
        .order_by("created_at", "id")
    ):
        version = offer.current
        rows.append(
            {
                "number": offer.number,
                "created_at": offer.created_at,
                "status": offer.status,
                "valid_until": offer.valid_until,
                "accepted_at": offer.accepted_at,
                "consultant": str(offer.consultant),
                "version": version.number if version else None,
                "vehicle": str(version.trim) if version else None,
                "colour": str(version.colour) if version and version.colour else None,
                "vehicle_price": version.vehicle_price if version else None,
                "discount_total": version.discount_total if version else None,
                "extra_discount": version.extra_discount if version else None,
                "services_total": version.services_total if version else None,
                "total": version.total if version else None,
                "gift_value": version.gift_value if version else None,
                "note": version.note if version else "",
            }
        )
    return rows


def register() -> None:
    register_subject_section("offers", offers)
