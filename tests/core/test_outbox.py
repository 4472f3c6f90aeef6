"""The notification outbox against a real local HTTP gateway: retries, back-off, final status."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from dealerdesk.core.errors import TransitionRefused
from dealerdesk.core.models import Notification
from dealerdesk.core.services import (
    notification_deliver,
    notification_queue,
    notification_retry,
    notifications_deliver_due,
)

pytestmark = pytest.mark.django_db


class Gateway:
    """A real HTTP server on 127.0.0.1 that fails the first `fail_first` requests with HTTP 500."""

    def __init__(self, fail_first: int):
        self.fail_first = fail_first
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.requests.append({"body": body, "headers": self.headers})  # case-insensitive
                code = 500 if len(gateway.requests) <= gateway.fail_first else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway_settings(settings):
    settings.NOTIFICATION_WEBHOOK_SECRET = "s3cret"
    return settings


def test_webhook_is_retried_with_backoff_until_it_succeeds(
    store_a, gateway_settings, django_capture_on_commit_callbacks
):
    with Gateway(fail_first=2) as gateway:
        gateway_settings.NOTIFICATION_WEBHOOKS = {"sms": gateway.url, "wechat": ""}
        # queueing enqueues a delivery task on commit; the immediate backend runs it: attempt 1 fails
        with django_capture_on_commit_callbacks(execute=True):
            note = notification_queue(
                channel="sms", recipient="+8613800138000", subject="试驾提醒", body="明天10点", store=store_a
            )
        note.refresh_from_db()
        assert (note.status, note.attempts) == ("pending", 1)
        assert "HTTP 500" in note.last_error
        first_retry_at = note.next_attempt_at
        # not yet due: nothing happens
        assert notification_deliver(note.pk, now=first_retry_at - timedelta(seconds=1)) is None
        # attempt 2 at its time fails again and backs off further
        note = notification_deliver(note.pk, now=first_retry_at)
        assert (note.status, note.attempts) == ("pending", 2)
        assert note.next_attempt_at - first_retry_at >= timedelta(minutes=2)
        # attempt 3 (through the periodic sweep) succeeds
        assert notifications_deliver_due(now=note.next_attempt_at) == 1
        note.refresh_from_db()
        assert (note.status, note.attempts, note.last_error) == ("sent", 3, "")
        assert note.sent_at is not None
        sent = gateway.requests[-1]
        assert sent["body"]["to"] == "+8613800138000" and sent["body"]["text"] == "明天10点"
        assert sent["headers"]["Idempotency-Key"] == f"dealerdesk-{note.pk}"
        assert len(sent["headers"]["X-DealerDesk-Signature"]) == 64


def test_a_gateway_that_never_answers_ends_failed_and_can_be_retried(store_a, gateway_settings, make_staff):
    with Gateway(fail_first=100) as gateway:
        gateway_settings.NOTIFICATION_WEBHOOKS = {"sms": gateway.url, "wechat": ""}
        note = notification_queue(channel="sms", recipient="+8613800138000", subject="s", body="b", store=store_a)
        now = timezone.now()
        for _ in range(gateway_settings.NOTIFICATION_MAX_ATTEMPTS):
            note = notification_deliver(note.pk, now=now) or note
            now = (note.next_attempt_at or now) + timedelta(seconds=1)
        assert (note.status, note.attempts) == ("failed", 5)
        assert len(gateway.requests) == 5
        # a failed message stays failed: the sweep leaves it alone
        assert notifications_deliver_due(now=now + timedelta(days=1)) == 0
        # a manager sees it in the outbox and queues it again
        manager = make_staff("sales_manager", store_a)
        notification_retry(actor=manager, notification=note)
        note.refresh_from_db()
        assert (note.status, note.attempts) == ("pending", 0)


def test_unreachable_gateway_is_a_recorded_failure(store_a, gateway_settings):
    gateway_settings.NOTIFICATION_WEBHOOKS = {"sms": "http://127.0.0.1:9/", "wechat": ""}
    note = notification_queue(channel="sms", recipient="+8613800138000", subject="s", body="b", store=store_a)
    note = notification_deliver(note.pk)
    assert note.status == "pending" and "unreachable" in note.last_error


def test_email_goes_through_djangos_backend(store_a):
    note = notification_queue(
        channel="email", recipient="kehu@example.com", subject="交车预约", body="周六 10:00", store=store_a
    )
    note = notification_deliver(note.pk)
    assert note.status == "sent"
    assert mail.outbox[-1].subject == "交车预约" and mail.outbox[-1].to == ["kehu@example.com"]


def test_retry_of_a_message_that_is_not_failed_is_refused(store_a, make_staff):
    note = notification_queue(channel="email", recipient="a@example.com", subject="s", body="b", store=store_a)
    with pytest.raises(TransitionRefused) as refused:
        notification_retry(actor=make_staff("sales_manager", store_a), notification=note)
    assert refused.value.code == "notification_not_failed"
    assert refused.value.status == 409


def test_outbox_page_shows_status_attempts_and_error(store_a, make_staff, client, gateway_settings):
    gateway_settings.NOTIFICATION_WEBHOOKS = {"sms": "", "wechat": ""}
    note = notification_queue(channel="sms", recipient="+8613800138000", subject="到店提醒", body="b", store=store_a)
    notification_deliver(note.pk)
    client.force_login(make_staff("sales_manager", store_a))
    body = client.get(reverse("outbox_list")).content.decode()
    # the error in the reader's language, not the log's English
    assert "到店提醒" in body and "短信尚未配置发送网关" in body and "no gateway configured" not in body
    # who it goes to, masked: a customer's mobile is personal data
    assert "138****8000" in body and "13800138000" not in body


def test_in_app_notification_needs_no_delivery(store_a, make_staff):
    user = make_staff("consultant", store_a)
    note = notification_queue(channel="in_app", recipient_user=user, subject="新客户分配", body="x", store=store_a)
    assert note.status == Notification.Status.SENT
