"""What the showroom holds about a customer, for their subject-access export (PIPL access request)."""

from dealerdesk.customers.privacy import register_subject_section

from .models import NeedsAssessment, Presentation, Visit


def _staff(user) -> str | None:
    return str(user) if user is not None else None


def visits(customer) -> list[dict]:
    """Each showroom visit: when, how long, who served them, what they accepted, the receptionist's note."""
    return [
        {
            "arrived_at": v.arrived_at,
            "left_at": v.left_at,
            "kind": v.kind,
            "party_size": v.party_size,
            "source": v.source,
            "status": v.status,
            "consultant": _staff(v.consultant),
            "refreshment": v.refreshment,
            "notes": v.notes,
        }
        for v in Visit.objects.filter(customer=customer).select_related("consultant").order_by("arrived_at", "id")
    ]


def needs_assessments(customer) -> list[dict]:
    """Each needs analysis taken with them: budget, preferences, who decides, the consultant's notes and grade."""
    return [
        {
            "created_at": n.created_at,
            "consultant": _staff(n.consultant),
            "budget_min": n.budget_min,
            "budget_max": n.budget_max,
            "body_type": n.body_type,
            "seats": n.seats,
            "energy_types": n.energy_types,
            "usage": n.usage,
            "annual_km": n.annual_km,
            "home_charging": n.home_charging,
            "timeframe": n.timeframe,
            "payment_method": n.payment_method,
            "trade_in": n.trade_in,
            "trade_in_vehicle": n.trade_in_vehicle,
            "must_have": n.must_have,
            "competitors": n.competitors,
            "decision_maker": n.decision_maker,
            "notes": n.notes,
            "intent_grade": n.confirmed_grade or n.proposed_grade,
        }
        for n in NeedsAssessment.objects.filter(customer=customer)
        .select_related("consultant")
        .order_by("created_at", "id")
    ]


def presentations(customer) -> list[dict]:
    """Each walkaround: the car shown, the questions and objections they raised, the material they were given."""
    return [
        {
            "created_at": p.created_at,
            "consultant": _staff(p.consultant),
            "vehicle": str(p.trim) if p.trim is not None else None,
            "points_covered": p.points_covered,
            "questions": p.questions,
            "objections": p.objections,
            "materials": p.materials,
        }
        for p in Presentation.objects.filter(customer=customer)
        .select_related("consultant", "trim__series__brand")
        .order_by("created_at", "id")
    ]


def register() -> None:
    register_subject_section("showroom_visits", visits)
    register_subject_section("needs_assessments", needs_assessments)
    register_subject_section("presentations", presentations)
