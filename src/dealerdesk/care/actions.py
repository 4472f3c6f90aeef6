"""Audit action labels of the care desk, in the reader's language."""

from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels

register_action_labels({"callscript.saved": _("Call script saved")})
