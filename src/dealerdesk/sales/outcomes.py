"""Tells the showroom which visits ended with an order (an order of the visitor taken while they were here)."""

from collections.abc import Sequence

from dealerdesk.showroom.outcomes import ORDER, register_outcome, visit_window

from .models import Order


def visits_with_order(visits: Sequence) -> set[int]:
    """Visit ids whose customer's order was taken between arrival and departure (one query)."""
    windows = {v.pk: visit_window(v) for v in visits if v.customer_id}
    if not windows:
        return set()
    start = min(w[0] for w in windows.values())
    end = max(w[1] for w in windows.values())
    customer_ids = {v.customer_id for v in visits if v.customer_id}
    taken: dict[int, list] = {}
    for customer_id, at in Order.objects.filter(
        customer_id__in=customer_ids, created_at__gte=start, created_at__lte=end
    ).values_list("customer_id", "created_at"):
        taken.setdefault(customer_id, []).append(at)
    return {
        visit.pk
        for visit in visits
        if visit.pk in windows
        and any(windows[visit.pk][0] <= at <= windows[visit.pk][1] for at in taken.get(visit.customer_id, ()))
    }


def register() -> None:
    register_outcome(ORDER, visits_with_order)
