"""What the deliveries app holds about a customer, for their subject-access export (PIPL access request)."""

from django.db.models import F

from dealerdesk.customers.privacy import register_subject_section

from .models import Delivery, DeliveryFollowUp, DeliveryGift, HandoverPhoto, PromisedGift, WarrantyClock


def deliveries(customer) -> list[dict]:
    """Each handover: appointment, car, invoice, odometer, the confirmation they signed and its SHA-256."""
    return [
        {
            "number": d.number,
            "status": d.status,
            "scheduled_at": d.scheduled_at,
            "bay": d.bay,
            "vehicle": str(d.vehicle.trim),
            "vin": d.vehicle.vin,
            "consultant": str(d.consultant),
            "invoice_number": d.invoice_number,
            "invoice_date": d.invoice_date,
            "odometer_km": d.odometer_km,
            "explained": d.explained,
            "handover_note": d.handover_note,
            "customer_signed_name": d.customer_signed_name,
            "customer_signed_at": d.customer_signed_at,
            "handed_over_at": d.handed_over_at,
            "confirmation_sha256": d.confirmation_sha256,
        }
        for d in Delivery.objects.filter(customer=customer)
        .select_related("consultant", "vehicle__trim__series__brand")
        # the confirmation PDF and drawn signature are large and delivered as the PDF itself
        .defer("confirmation_pdf", "customer_signature_png")
        .order_by("scheduled_at", "id")
    ]


def delivery_gifts(customer) -> list[dict]:
    """The gifts promised or handed over with their cars."""
    return list(
        DeliveryGift.objects.filter(delivery__customer=customer)
        .order_by("delivery_id", "id")
        .values(
            "quantity",
            "handed_over_at",
            delivery_number=F("delivery__number"),
            gift_name=F("gift__name"),
            unit_value=F("gift__unit_value"),
        )
    )


def delivery_promised_gifts(customer) -> list[dict]:
    """The gifts their contracts promised, and for each whether it was handed over or what was given instead, why."""
    return list(
        PromisedGift.objects.filter(delivery__customer=customer)
        .order_by("delivery_id", "position", "id")
        .values("item", "status", "substitute", "reason", "recorded_at", delivery_number=F("delivery__number"))
    )


def warranty_clocks(customer) -> list[dict]:
    """The warranties running on their cars: from when to when, and up to how many kilometres."""
    return list(
        WarrantyClock.objects.filter(customer=customer)
        .order_by("delivery_id", "kind")
        .values("vin", "kind", "starts_on", "ends_on", "km_limit", delivery_number=F("delivery__number"))
    )


def delivery_follow_ups(customer) -> list[dict]:
    """The calls planned after each delivery, with how they went."""
    return list(
        DeliveryFollowUp.objects.filter(delivery__customer=customer)
        .order_by("delivery_id", "day")
        .values(
            "day",
            "role",
            delivery_number=F("delivery__number"),
            due_at=F("follow_up__due_at"),
            status=F("follow_up__status"),
            outcome=F("follow_up__outcome"),
            completed_at=F("follow_up__completed_at"),
        )
    )


def delivery_photos(customer) -> list[dict]:
    """The photos taken at their handovers (they may show the person); the images are given on request."""
    return list(
        HandoverPhoto.objects.filter(delivery__customer=customer)
        .order_by("delivery_id", "created_at", "id")
        .values("caption", "created_at", "width", "height", "sha256", delivery_number=F("delivery__number"))
    )


def register() -> None:
    register_subject_section("deliveries", deliveries)
    register_subject_section("delivery_gifts", delivery_gifts)
    register_subject_section("delivery_promised_gifts", delivery_promised_gifts)
    register_subject_section("warranty_clocks", warranty_clocks)
    register_subject_section("delivery_follow_ups", delivery_follow_ups)
    register_subject_section("delivery_photos", delivery_photos)
