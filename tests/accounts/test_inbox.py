"""In-app messages: a bell with the unread count, and an inbox that marks them read."""

import pytest
from django.urls import reverse

from dealerdesk.core.models import Notification
from dealerdesk.core.services import notification_queue

pytestmark = pytest.mark.django_db


def test_unread_count_then_inbox_reads_them(store_a, make_staff, client):
    consultant = make_staff("consultant", store_a)
    other = make_staff("consultant", store_a)
    notification_queue(
        channel="in_app", recipient_user=consultant, store=store_a, subject="新客户：张三", body="/customers/1/"
    )
    notification_queue(channel="in_app", recipient_user=other, store=store_a, subject="别人的消息", body="x")
    client.force_login(consultant)
    badge = client.get(reverse("inbox_badge")).content.decode()
    assert 'data-testid="inbox-count">1' in badge
    page = client.get(reverse("inbox")).content.decode()
    assert "新客户：张三" in page and "别人的消息" not in page
    assert Notification.objects.get(recipient_user=consultant).read_at is not None
    assert "inbox-count" not in client.get(reverse("inbox_badge")).content.decode()
    assert Notification.objects.get(recipient_user=other).read_at is None
