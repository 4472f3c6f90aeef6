"""The first customers of a new store, registered at the same moment, both succeed: the store's default intent
grades are created once, whoever comes first (a race found by the fault suite: one of them answered 500)."""

import threading

from django.db import connection

from dealerdesk.customers import services
from dealerdesk.customers.models import Customer, IntentGradePolicy
from tests.factories import DealerGroupFactory, StoreFactory, staff


def test_the_first_customers_of_a_store_at_once_all_succeed(committed_db):
    for round_no in range(4):
        # given a new store with no grade policies yet and eight receptionists' worth of threads
        store = StoreFactory(group=DealerGroupFactory(code=f"first{round_no}"), code=f"first{round_no}")
        consultant = staff("consultant", store, username=f"first{round_no}-c")
        barrier = threading.Barrier(8)
        errors: list[Exception] = []

        def register(i: int, store=store, consultant=consultant, barrier=barrier, errors=errors) -> None:
            try:
                barrier.wait()
                services.customer_create(
                    actor=consultant, store=store, name=f"首客{i}", mobile=f"1390000{round_no}{i:03d}"
                )
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # then every registration went through and the grades exist once each
        assert errors == []
        assert Customer.objects.filter(store=store).count() == 8
        codes = list(IntentGradePolicy.objects.filter(store=store).values_list("code", flat=True))
        assert len(codes) == len(set(codes)) > 0
