"""A writer that is killed inside its transaction: `python -m tests.faults.killed_writer CASE MARKER ARGS...`.

It runs one service (the contract's last signature, a deposit payment, a handover) with a late step of it replaced
by "write MARKER, then sleep": the test waits for MARKER, i.e. for the process to be in the middle of the service's
transaction with its first writes done, and SIGKILLs it.
"""

import sys
import time
from pathlib import Path


def main() -> None:
    import django

    django.setup()
    case, marker, *args = sys.argv[1:]

    def pause(*_args, **_kwargs):
        Path(marker).write_text("inside the transaction")
        time.sleep(120)
        raise SystemExit("not killed")

    from dealerdesk.accounts.models import User

    if case == "contract":
        from dealerdesk.sales import services
        from dealerdesk.sales.models import Contract

        services.stock_change_status = pause  # the car becomes "sold": after the PDF, the hash and the order
        contract_id, manager_id = map(int, args)
        services.contract_sign(
            actor=User.objects.get(pk=manager_id), contract=Contract.objects.get(pk=contract_id), party="manager"
        )
    elif case == "payment":
        from dealerdesk.customers import services as customer_services
        from dealerdesk.sales import services
        from dealerdesk.sales.models import Order

        customer_services.customer_grade_deposit_paid = pause  # after the payment row is written
        order_id, manager_id = map(int, args)
        services.payment_record(
            actor=User.objects.get(pk=manager_id),
            order=Order.objects.get(pk=order_id),
            kind="deposit",
            method="cash",
            receipt_number="KILL-1",
            amount="5000.00",
        )
    elif case == "delivery":
        from dealerdesk.deliveries import services
        from dealerdesk.deliveries.models import Delivery

        services.stock_change_status = pause  # after the gifts left stock, the delivery and the order were written
        delivery_id, consultant_id = map(int, args)
        delivery = Delivery.objects.select_related("customer").get(pk=delivery_id)
        services.delivery_confirm(
            actor=User.objects.get(pk=consultant_id), delivery=delivery, customer_name=delivery.customer.name
        )
    raise SystemExit("the service ended without reaching the pause")


if __name__ == "__main__":
    main()
