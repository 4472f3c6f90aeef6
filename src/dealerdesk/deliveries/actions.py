"""Human labels of the deliveries app's audit actions."""

from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels
from dealerdesk.core.audit_display import register_key_labels

from .models import DeliveryDocument

register_action_labels(
    {
        "delivery.scheduled": _("Delivery appointment booked"),
        "delivery.rescheduled": _("Delivery appointment moved"),
        "delivery.reminded": _("Delivery reminder sent"),
        "delivery.origin_set": _("Vehicle origin set for the document pack"),
        "delivery.pdi_checked": _("PDI item checked"),
        "delivery.document_received": _("Delivery document received"),
        "delivery.document_holder_recorded": _("Holder of a delivery document recorded"),
        "delivery.prepared": _("Car prepared for delivery"),
        "delivery.gift_set": _("Delivery gift changed"),
        "delivery.handover_recorded": _("Handover explained, odometer recorded"),
        "delivery.promised_gift_handed_over": _("Promised gift handed over"),
        "delivery.promised_gift_substituted": _("Promised gift substituted"),
        "delivery.promised_gift_reset": _("Promised gift open again"),
        "delivery.handed_over": _("Car handed over (confirmation signed)"),
        "delivery.cancelled": _("Delivery cancelled with the order"),
        "delivery.photo_added": _("Handover photo added"),
        "delivery.photo_deleted": _("Handover photo removed"),
        "delivery_settings.updated": _("Delivery settings changed"),
        "gift.created": _("Gift added"),
        "gift.restocked": _("Gift stock changed"),
        "gift_rule.created": _("Gift rule added"),
        "gift_rule.retired": _("Gift rule retired"),
    }
)

# diff keys that are fields of the delivery's documents, shown with their labels and choices (issue #10.12)
for _target in ("deliveries.delivery", "deliveries.deliverydocument"):
    register_key_labels(
        {
            "document": DeliveryDocument._meta.get_field("kind"),
            "documents_received": DeliveryDocument._meta.get_field("kind"),
        },
        target_type=_target,
    )
