"""What the registrations app holds about a customer, for their subject-access export (PIPL access request)."""

from django.db.models import F

from dealerdesk.customers.privacy import register_subject_section

from .models import Registration, RegistrationDocument


def registrations(customer) -> list[dict]:
    """Each registration of their car: where it stands, the plate, the dates, who handles it."""
    return [
        {
            "number": r.number,
            "order_number": r.order.number,
            "status": r.status,
            "by_customer": r.by_customer,
            "owner_kind": r.owner_kind,
            "company_name": r.company_name,
            "vin": r.stock_vehicle.vin if r.stock_vehicle else None,
            "clerk": str(r.clerk) if r.clerk else None,
            "office": r.office,
            "opened_at": r.opened_at,
            "target_on": r.target_on,
            "submitted_at": r.submitted_at,
            "plate": r.plate,
            "plate_issued_at": r.plate_issued_at,
            "licence_issued_on": r.licence_issued_on,
            "completed_at": r.completed_at,
            "cancelled_at": r.cancelled_at,
            "cancel_reason": r.cancel_reason,
            "note": r.note,
        }
        for r in Registration.objects.filter(customer=customer)
        .select_related("order", "stock_vehicle", "clerk")
        .order_by("opened_at", "id")
    ]


def registration_documents(customer) -> list[dict]:
    """The documents of each registration: which were received from them, when, and who holds them."""
    return list(
        RegistrationDocument.objects.filter(registration__customer=customer)
        .order_by("registration_id", "position", "id")
        .values("kind", "holder", "received_at", "note", registration_number=F("registration__number"))
    )


def register() -> None:
    register_subject_section("registrations", registrations)
    register_subject_section("registration_documents", registration_documents)
