"""Tells the showroom which visits ended with an offer (an offer to the visitor made while they were here)."""

from collections.abc import Sequence

from dealerdesk.showroom.outcomes import OFFER, register_outcome, visit_window

from .models import Offer


def visits_with_offer(visits: Sequence) -> set[int]:
    """Visit ids whose customer received an offer between arrival and departure (one query)."""
    windows = {v.pk: visit_window(v) for v in visits if v.customer_id}
    if not windows:
        return set()
    start = min(w[0] for w in windows.values())
    end = max(w[1] for w in windows.values())
    customer_ids = {v.customer_id for v in visits if v.customer_id}
    made: dict[int, list] = {}
    for customer_id, at in Offer.objects.filter(
        customer_id__in=customer_ids, created_at__gte=start, created_at__lte=end
    ).values_list("customer_id", "created_at"):
        made.setdefault(customer_id, []).append(at)
    found = set()
    for visit in visits:
        if visit.pk in windows and any(
            windows[visit.pk][0] <= at <= windows[visit.pk][1] for at in made.get(visit.customer_id, ())
        ):
            found.add(visit.pk)
    return found


def register() -> None:
    register_outcome(OFFER, visits_with_offer)
