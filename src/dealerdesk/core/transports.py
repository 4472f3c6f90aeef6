"""How an outbox message leaves the building: Django's email backend, or an HTTP gateway webhook."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext_lazy as _


class DeliveryFailed(Exception):
    """The transport could not hand the message over; the outbox will retry."""


# The stored error stays the transport's own (English, for logs and support); people read it through this (#10.12).
_ERROR_TEXTS = [
    ("no gateway configured for ", _("No gateway is set up for %(detail)s: ask the administrator to configure it.")),
    ("gateway answered HTTP ", _("The gateway refused the message (HTTP %(detail)s); it will be tried again.")),
    ("gateway unreachable: ", _("The gateway could not be reached (%(detail)s); it will be tried again.")),
    ("email: ", _("The mail server could not take the message (%(detail)s); it will be tried again.")),
    ("unknown channel ", _("Unknown channel %(detail)s.")),
]


def error_text(raw: str) -> str:
    """A stored delivery error in the reader's language (the raw text when it is none of the known ones)."""
    from .models import Notification

    channels = dict(Notification.Channel.choices)
    for prefix, text in _ERROR_TEXTS:
        if raw and raw.startswith(prefix):
            detail = raw[len(prefix) :]
            return text % {"detail": channels.get(detail, detail)}
    return raw


def deliver(notification) -> None:
    channel = notification.channel
    if channel == "email":
        _send_email(notification)
    elif channel in ("sms", "wechat"):
        _post_webhook(notification)
    elif channel == "in_app":
        return  # the row itself is the message; the recipient reads it in the app
    else:
        raise DeliveryFailed(f"unknown channel {channel}")


def _send_email(notification) -> None:
    try:
        send_mail(notification.subject, notification.body, None, [notification.recipient])
    except OSError as exc:  # SMTP errors are OSError subclasses
        raise DeliveryFailed(f"email: {type(exc).__name__}") from exc


def _post_webhook(notification) -> None:
    url = settings.NOTIFICATION_WEBHOOKS.get(notification.channel)
    if not url:
        raise DeliveryFailed(f"no gateway configured for {notification.channel}")
    payload = json.dumps(
        {
            "id": notification.pk,
            "channel": notification.channel,
            "to": notification.recipient,
            "subject": notification.subject,
            "text": notification.body,
        },
        ensure_ascii=False,
    ).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": f"dealerdesk-{notification.pk}",
    }
    secret = settings.NOTIFICATION_WEBHOOK_SECRET
    if secret:
        headers["X-DealerDesk-Signature"] = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFICATION_WEBHOOK_TIMEOUT) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise DeliveryFailed(f"gateway answered HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"gateway answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"gateway unreachable: {type(exc).__name__}") from exc
