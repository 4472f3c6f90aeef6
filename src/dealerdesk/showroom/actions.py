"""Labels of the showroom's audit actions."""

from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels

register_action_labels(
    {
        "visit.arrived": _("Visitor arrived"),
        "visit.assigned": _("Visitor assigned to a consultant"),
        "visit.left": _("Visitor left"),
        "visit.customer_linked": _("Visit linked to a customer"),
        "visit.refreshments_recorded": _("Refreshments recorded"),
        "rotation.presence_changed": _("Consultant presence changed"),
        "needs_assessment.created": _("Needs analysis taken"),
        "needs_assessment.grade_confirmed": _("Proposed intent grade confirmed"),
        "recommendation.recorded": _("Purchase advice recorded"),
        "presentation.recorded": _("Walkaround presentation recorded"),
    }
)
