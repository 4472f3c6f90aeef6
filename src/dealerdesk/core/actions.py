from django.utils.translation import gettext_lazy as _

from .audit import register_action_labels

register_action_labels({"notification.retried": _("Message queued again")})
