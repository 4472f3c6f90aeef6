from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels

register_action_labels(
    {
        "customer.created": _("Customer registered"),
        "customer.updated": _("Customer details changed"),
        "customer.graded": _("Intent grade changed"),
        "customer.stage_changed": _("Stage changed"),
        "customer.loss_requested": _("Loss requested"),
        "customer.lost": _("Marked lost"),
        "customer.loss_rejected": _("Loss request rejected"),
        "customer.reassigned": _("Customer handed over"),
        "customer.needs_recorded": _("Purchase needs recorded"),
        "customer.vehicle_added": _("Vehicle added"),
        "customer.contact_added": _("Contact method added"),
        "customer.note_added": _("Note added"),
        "customer.merged": _("Duplicate merged in"),
        "customer.merged_away": _("Merged into another record"),
        "customer.erased": _("Personal data erased"),
        "consent.granted": _("Consent given"),
        "consent.withdrawn": _("Consent withdrawn"),
        "followup.completed": _("Follow-up done"),
        "followup.scheduled": _("Follow-up planned"),
        "feedback.recorded": _("Feedback recorded"),
        "feedback.status_changed": _("Feedback status changed"),
        "subject_request.opened": _("Data request logged"),
    }
)
