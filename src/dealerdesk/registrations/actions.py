"""Human labels of the registrations app's audit actions."""

from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels
from dealerdesk.core.audit_display import register_key_labels

from .models import RegistrationDocument

register_action_labels(
    {
        "registration.opened": _("Registration (上牌) opened"),
        "registration.case_changed": _("Registration case changed"),
        "registration.assigned": _("Registration clerk assigned"),
        "registration.document_received": _("Registration document received"),
        "registration.submitted": _("Registration submitted to the vehicle office"),
        "registration.retargeted": _("Registration target date recounted from delivery"),
        "registration.plate_recorded": _("Plate recorded"),
        "registration.completed": _("Licence and plates handed to the customer"),
        "registration.cancelled": _("Registration cancelled"),
        "registration_policy.updated": _("Registration target changed"),
    }
)

# diff keys that are fields of the registration's documents, shown with their labels and choices (issue #10.12)
register_key_labels(
    {
        "document": RegistrationDocument._meta.get_field("kind"),
        "documents_removed": RegistrationDocument._meta.get_field("kind"),
    },
    target_type="registrations.registration",
)
