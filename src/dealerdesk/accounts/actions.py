from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels

register_action_labels(
    {
        "membership.granted": _("Role granted"),
        "membership.revoked": _("Role revoked"),
        "user.language_changed": _("Language changed"),
        "user.password_changed": _("Password changed"),
    }
)
