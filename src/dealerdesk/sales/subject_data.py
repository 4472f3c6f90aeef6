"""What the sales app holds about a customer, for their subject-access export (PIPL access request)."""

from dealerdesk.customers.privacy import register_subject_section

from .models import Contract, Order, Payment


def orders(customer) -> list[dict]:
    """Each order: the car and its options, the price agreed, how it is paid, the dates that matter."""
    return [
        {
            "number": o.number,
            "status": o.status,
            "created_at": o.created_at,
            "consultant": str(o.consultant),
            "vehicle": str(o.trim),
            "exterior": str(o.exterior) if o.exterior else None,
            "interior": str(o.interior) if o.interior else None,
            "vin": o.stock_vehicle.vin if o.stock_vehicle else None,
            "options": o.options,
            "services": o.services,
            "marked_price": o.marked_price_amount,
            "total": o.total,
            "deposit": o.deposit_amount,
            "amount_paid": o.amount_paid,
            "payment_method": o.payment_method,
            "loan_status": o.loan_status,
            "planned_delivery_on": o.planned_delivery_on,
            "delivery_place": o.delivery_place,
            "signed_at": o.signed_at,
            "delivered_at": o.delivered_at,
            "cancelled_at": o.cancelled_at,
            "cancel_reason": o.cancel_reason,
            "deposit_on_cancellation": o.deposit_decision,
        }
        for o in Order.objects.filter(customer=customer)
        .select_related("consultant", "trim__series__brand", "exterior", "interior", "stock_vehicle")
        .order_by("created_at", "id")
    ]


def contracts(customer) -> list[dict]:
    """Each purchase contract: its number, status, who signed when, and the SHA-256 of the signed PDF (so the
    person can check the copy they hold)."""
    return [
        {
            "number": c.number,
            "order_number": c.order.number,
            "version": c.version,
            "status": c.status,
            "total": c.total,
            "deposit": c.deposit_amount,
            "amendment_reason": c.amendment_reason,
            "customer_signed_name": c.customer_signed_name,
            "customer_signed_at": c.customer_signed_at,
            "signed_at": c.signed_at,
            "sha256": c.sha256,
            "kept_until": c.retain_until,
        }
        for c in Contract.objects.filter(customer=customer)
        .select_related("order")
        # the contract text, PDF and drawn signature are large and delivered as the PDF itself
        .only(
            "number",
            "order__number",
            "version",
            "status",
            "total",
            "deposit_amount",
            "amendment_reason",
            "customer_signed_name",
            "customer_signed_at",
            "signed_at",
            "sha256",
        )
        .order_by("id")
    ]


def payments(customer) -> list[dict]:
    """Each payment received from them or refunded to them, with its receipt number."""
    return [
        {
            "order_number": p.order.number,
            "kind": p.kind,
            "method": p.method,
            "receipt_number": p.receipt_number,
            "amount": p.amount,
            "received_at": p.received_at,
            "note": p.note,
        }
        for p in Payment.objects.filter(customer=customer)
        .select_related("order")
        .only("order__number", "kind", "method", "receipt_number", "amount", "received_at", "note")
        .order_by("received_at", "id")
    ]


def register() -> None:
    register_subject_section("orders", orders)
    register_subject_section("contracts", contracts)
    register_subject_section("payments", payments)
