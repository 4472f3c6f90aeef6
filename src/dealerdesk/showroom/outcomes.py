"""What happened during a visit, reported by the apps that own the records (needs taken, test drive, offer, order).

The showroom does not know test drives, offers or orders. Each app registers a provider once (in its
`AppConfig.ready`)::

    from dealerdesk.showroom.outcomes import OFFER, register_outcome

    def visits_with_offer(visits):   # a list of Visit rows of one or more stores
        ...                          # one query: offers of these customers made between arrival and departure
        return {visit.pk, ...}

    register_outcome(OFFER, visits_with_offer)

A provider answers for many visits at once (one query), so the report and the visit page stay fast.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext_lazy as _

NEEDS = "needs"
TEST_DRIVE = "test_drive"
OFFER = "offer"
ORDER = "order"

LABELS = {
    NEEDS: _("Needs taken"),
    TEST_DRIVE: _("Test drive"),
    OFFER: _("Offer made"),
    ORDER: _("Order placed"),
}

Provider = Callable[[Sequence], set[int]]


@dataclass(frozen=True)
class Outcome:
    code: str
    label: str
    provider: Provider


_PROVIDERS: dict[str, Provider] = {}


def register_outcome(code: str, provider: Provider, *, label: str | None = None) -> None:
    """Let an app report which visits had an outcome (`provider(visits) -> {visit ids}`)."""
    _PROVIDERS[code] = provider
    if label is not None:
        LABELS[code] = label


def registered() -> list[Outcome]:
    """The outcomes some app reports, in the order of LABELS."""
    return [Outcome(code, str(LABELS.get(code, code)), _PROVIDERS[code]) for code in LABELS if code in _PROVIDERS]


def is_registered(code: str) -> bool:
    return code in _PROVIDERS


def outcomes_for(visits: Iterable) -> dict[int, list[str]]:
    """{visit id: [outcome codes]} for the given visits, one provider call per registered outcome."""
    visits = list(visits)
    found: dict[int, list[str]] = {v.pk: [] for v in visits}
    if not visits:
        return found
    for outcome in registered():
        for visit_id in outcome.provider(visits):
            if visit_id in found:
                found[visit_id].append(outcome.code)
    return found


def visit_window(visit) -> tuple:
    """The time span a record must fall into to belong to a visit: arrival to departure (or end of that day)."""
    end = visit.left_at or visit.arrived_at + timedelta(hours=12)
    return visit.arrived_at, end


def _visits_with_needs(visits: Sequence) -> set[int]:
    """Visits with a needs assessment linked to them, or taken for the same customer while they were here."""
    from django.db.models import Q

    from .models import NeedsAssessment

    windows = {v.pk: visit_window(v) for v in visits}
    start = min(w[0] for w in windows.values())
    end = max(w[1] for w in windows.values())
    in_window = Q(store_id__in={v.store_id for v in visits}, created_at__gte=start, created_at__lte=end)
    rows = NeedsAssessment.objects.filter(in_window | Q(visit_id__in=list(windows))).values_list(
        "visit_id", "customer_id", "created_at"
    )
    linked: set[int] = set()
    by_customer: dict[int, list] = {}
    for visit_id, customer_id, at in rows:
        if visit_id is not None:
            linked.add(visit_id)
        by_customer.setdefault(customer_id, []).append(at)
    for visit in visits:
        if visit.pk in linked or not visit.customer_id:
            continue
        low, high = windows[visit.pk]
        if any(low <= at <= high for at in by_customer.get(visit.customer_id, ())):
            linked.add(visit.pk)
    return linked


register_outcome(NEEDS, _visits_with_needs)
