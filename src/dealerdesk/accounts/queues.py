"""Each role's queue: what waits for this person, counted for the navigation (DESIGN §11).

A manager sees how many offers wait for approval, contracts for the store's signature, lost-prospect requests and
overdue follow-ups of the team; a consultant today's follow-ups, test drives and handovers; the clerk the
registrations due; reception the visitors waiting. Accounts knows no domain app: each app registers its queues in
its AppConfig.ready(). The counts are loaded by htmx with the inbox bell, so a page's own cost does not grow.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from .models import Store, User
from .permissions import user_can
from .selectors import store_visible_to

StoreIds = Callable[[str], list[int]]  # permission code → the ids of the stores where the person holds it


@dataclass(frozen=True)
class Queue:
    code: str
    label: Any  # lazily translated
    nav: str  # url name of the navigation entry whose badge adds this queue up
    count: Callable[[User, StoreIds], int | None]  # None: not this person's queue; one query otherwise
    link: str = ""  # url name of the page listing the waiting items (the nav entry's page when empty)
    query: str = ""  # narrows that page to them ("status=pending_approval")

    @property
    def url(self) -> str:
        return reverse(self.link or self.nav) + (f"?{self.query}" if self.query else "")


_QUEUES: list[Queue] = []


def register_queue(queue: Queue) -> None:
    if all(q.code != queue.code for q in _QUEUES):
        _QUEUES.append(queue)


@dataclass(frozen=True)
class Waiting:
    queue: Queue
    count: int


def waiting_for(user: User) -> list[Waiting]:
    """The person's queues with their counts (zero included), in registration order. One query per queue that
    applies, and one for the stores."""
    stores: list[Store] = list(store_visible_to(user))
    cache: dict[str, list[int]] = {}

    def store_ids(perm: str) -> list[int]:
        if perm not in cache:
            cache[perm] = [s.pk for s in stores if user_can(user, perm, s)]
        return cache[perm]

    found = []
    for queue in _QUEUES:
        count = queue.count(user, store_ids)
        if count is not None:
            found.append(Waiting(queue, count))
    return found


def nav_counts(waiting: list[Waiting]) -> dict[str, int]:
    """The badge of each navigation entry: the sum of its queues."""
    totals: dict[str, int] = {}
    for item in waiting:
        totals[item.queue.nav] = totals.get(item.queue.nav, 0) + item.count
    return totals
