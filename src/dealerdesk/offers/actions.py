"""Human labels of the offers app's audit actions."""

from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels, register_target_url

register_action_labels(
    {
        "promotion.created": _("Promotion created"),
        "promotion.updated": _("Promotion changed"),
        "offer_policy.updated": _("Offer rules changed"),
        "offer.created": _("Offer made"),
        "offer.revised": _("Offer revised (new version)"),
        "offer.approved": _("Offer approved"),
        "offer.refused": _("Offer refused"),
        "offer.accepted": _("Offer accepted by the customer"),
        "offer.expired": _("Offer expired"),
    }
)

register_target_url("offers.offer", "offer_detail")  # timeline entries link to the offer
