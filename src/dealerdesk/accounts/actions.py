from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels

register_action_labels(
    {
        "membership.granted": _("Role granted"),
        "membership.revoked": _("Role revoked"),
        "user.language_changed": _("Language changed"),
        "user.password_changed": _("Password changed"),
        "user.created": _("Staff account created"),
        "user.reactivated": _("Staff account reactivated"),
        "user.deactivated": _("Staff account deactivated (no role left)"),
        "user.password_reset": _("Password reset by an administrator"),
    }
)
