"""Builders and process plumbing for the faults suite."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from dealerdesk.core.models import AuditEntry
from dealerdesk.deliveries.choices import ExplanationItem
from dealerdesk.deliveries.models import Delivery
from dealerdesk.sales import services as sales_services
from tests.deliveries.factories import GiftItemFactory, prepared
from tests.sales.helpers import PNG, make_order, submitted_contract

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- the three writes


@dataclass
class Case:
    """One write about to be done, with what must not change if it fails, and the row a test may lock."""

    name: str
    actor: object
    ids: tuple[int, ...]
    lock_model: type
    lock_pk: int
    snapshot: dict = field(default_factory=dict)


def contract_case(store, consultant, manager) -> Case:
    """A contract the customer and the consultant signed: the manager's signature is the last one."""
    order = make_order(store, consultant)
    assert order.stock_vehicle_id, "the order reserves its stock vehicle"
    contract = submitted_contract(order, consultant)
    name = order.customer.name
    sales_services.contract_sign(
        actor=consultant, contract=contract, party="customer", typed_name=name, signature_png=PNG
    )
    sales_services.contract_sign(actor=consultant, contract=contract, party="consultant")
    from dealerdesk.catalog.models import StockVehicle

    return Case("contract", manager, (contract.pk, manager.pk), StockVehicle, order.stock_vehicle_id)


def payment_case(store, consultant, manager) -> Case:
    """A draft order with a 5,000 deposit agreed: paying it all grades the customer (which locks the customer)."""
    order = make_order(store, consultant)
    from dealerdesk.customers.models import Customer

    return Case("payment", manager, (order.pk, manager.pk), Customer, order.customer_id)


def delivery_case(store, consultant, clerk) -> Case:
    """A prepared, explained delivery with a gift (stock 3): only the signatures are left."""
    mats = GiftItemFactory(store=store, name="全车脚垫", stock=3)
    delivery = prepared(store, consultant, clerk)
    from dealerdesk.deliveries import services

    services.delivery_gift_set(actor=consultant, delivery=delivery, gift=mats, quantity=1)
    delivery, _ = services.delivery_record_handover(
        actor=consultant, delivery=delivery, explained=list(ExplanationItem.values), odometer_km=12
    )
    from dealerdesk.catalog.models import StockVehicle

    case = Case("delivery", consultant, (delivery.pk, consultant.pk), StockVehicle, delivery.vehicle_id)
    case.snapshot["gift_id"] = mats.pk
    return case


def state(case: Case) -> dict:
    """Everything the write would change, read fresh from the database."""
    from dealerdesk.catalog.models import StockVehicle
    from dealerdesk.deliveries.models import GiftItem, WarrantyClock
    from dealerdesk.sales.models import Contract, Order, Payment

    audit = AuditEntry.objects.count()
    if case.name == "contract":
        contract = Contract.objects.get(pk=case.ids[0])
        order = Order.objects.get(pk=contract.order_id)
        return {
            "audit": audit,
            "contract": (contract.status, contract.manager_signed_at, bool(contract.pdf), contract.sha256),
            "order": (order.status, order.signed_at, order.contract_id),
            "vehicle": StockVehicle.objects.get(pk=order.stock_vehicle_id).status,
        }
    if case.name == "payment":
        order = Order.objects.select_related("customer").get(pk=case.ids[0])
        return {
            "audit": audit,
            "payments": Payment.objects.filter(order=order).count(),
            "order": (order.status, order.amount_paid),
            "customer": (order.customer.intent_grade, order.customer.next_follow_up_at),
        }
    delivery = Delivery.objects.get(pk=case.ids[0])
    return {
        "audit": audit,
        "delivery": (
            delivery.status,
            delivery.handed_over_at,
            delivery.confirmation_sha256,
            delivery.customer_signed_at,
        ),
        "gift": GiftItem.objects.get(pk=case.snapshot["gift_id"]).stock,
        "order": Order.objects.get(pk=delivery.order_id).status,
        "vehicle": StockVehicle.objects.get(pk=delivery.vehicle_id).status,
        "clocks": WarrantyClock.objects.filter(delivery=delivery).count(),
    }


def run_service(case: Case):
    """Do the write through its service, as `case.actor`."""
    from dealerdesk.deliveries import services as delivery_services
    from dealerdesk.sales.models import Contract, Order

    if case.name == "contract":
        return sales_services.contract_sign(
            actor=case.actor, contract=Contract.objects.get(pk=case.ids[0]), party="manager"
        )
    if case.name == "payment":
        return sales_services.payment_record(
            actor=case.actor,
            order=Order.objects.get(pk=case.ids[0]),
            kind="deposit",
            method="cash",
            receipt_number="R-0001",
            amount="5000.00",
        )
    delivery = Delivery.objects.select_related("customer").get(pk=case.ids[0])
    return delivery_services.delivery_confirm(actor=case.actor, delivery=delivery, customer_name=delivery.customer.name)


def api_request(case: Case) -> tuple[str, dict]:
    """The same write as the API takes it: (url, JSON body)."""
    if case.name == "contract":
        return f"/api/v1/contracts/{case.ids[0]}/sign/", {"party": "manager"}
    if case.name == "payment":
        body = {"order": case.ids[0], "kind": "deposit", "method": "cash", "receipt_number": "R-0001"}
        return "/api/v1/payments/", {**body, "amount": "5000.00"}
    delivery = Delivery.objects.select_related("customer").get(pk=case.ids[0])
    return f"/api/v1/deliveries/{delivery.pk}/confirm/", {"customer_name": delivery.customer.name}


# ---------------------------------------------------------------- a backend terminated mid-transaction (PostgreSQL)


def terminate_mid_transaction(case: Case, work, *, timeout: float = 20.0) -> dict:
    """Run `work()` in a thread (its own connection) while this connection holds a row lock the write takes late;
    once the write's backend waits for that lock (inside its transaction, first writes done), terminate it with
    `pg_terminate_backend`, then let go. Returns {"result": …} or {"error": exception}, and the pid terminated."""
    box: dict = {}

    def target():
        try:
            box["result"] = work()
        except BaseException as exc:
            box["error"] = exc
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    thread = threading.Thread(target=target, daemon=True)
    with transaction.atomic(), connection.cursor() as cursor:
        list(case.lock_model.objects.select_for_update().filter(pk=case.lock_pk).values_list("pk", flat=True))
        cursor.execute("SELECT pg_backend_pid()")
        (mine,) = cursor.fetchone()
        thread.start()
        deadline = time.monotonic() + timeout
        blocked = None
        while blocked is None:
            # pg_locks is read live (pg_stat_activity is a snapshot kept for the whole transaction)
            cursor.execute("SELECT pid FROM pg_locks WHERE NOT granted AND %s = ANY(pg_blocking_pids(pid))", [mine])
            row = cursor.fetchone()
            if row:
                blocked = row[0]
                break
            assert thread.is_alive(), f"the write ended without waiting for the lock: {box}"
            assert time.monotonic() < deadline, "the write never reached the locked row"
            time.sleep(0.02)
        cursor.execute("SELECT pg_terminate_backend(%s)", [blocked])
        assert cursor.fetchone()[0] is True
    thread.join(timeout)
    assert not thread.is_alive(), "the write hung after its backend was terminated"
    box["pid"] = blocked
    return box


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a process on this test run's database (see subprocess_settings)."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.faults.subprocess_settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        FAULTS_DB_NAME=str(connection.settings_dict["NAME"]),
        FAULTS_MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    env.update(extra)
    return env


def start(args: list[str], log: Path, **env: str) -> subprocess.Popen:
    """Start `python args…` in its own process group, output to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=process_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the process and its whole group (a server's workers too), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def wait_for(predicate, *, timeout: float, every: float = 0.02, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)
