"""Human labels of the sales app's audit actions (the customer's timeline reads them)."""

from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels

register_action_labels(
    {
        "order.created": _("Order taken from the accepted offer"),
        "order.vehicle_allocated": _("Vehicle allocated to the order"),
        "order.updated": _("Order terms changed"),
        "order.signed": _("Order signed"),
        "order.amended": _("Order amended (contract amendment signed)"),
        "order.cancelled": _("Order cancelled"),
        "order.delivered": _("Order delivered"),
        "order.loan_applied": _("Loan applied for"),
        "order.loan_approved": _("Loan approved"),
        "order.loan_refused": _("Loan refused"),
        "contract.created": _("Contract prepared"),
        "contract.filled": _("Contract filled from the order"),
        "contract.submitted": _("Contract submitted for signature"),
        "contract.reopened": _("Contract taken back to editing"),
        "contract.discarded": _("Contract discarded"),
        "contract.signature_added": _("Contract signature given"),
        "contract.signed": _("Contract signed by every party"),
        "contract.amended": _("Contract amendment prepared"),
        "contract_template.created": _("Contract template created"),
        "contract_template.version_added": _("Contract template: new version"),
        "contract_template.made_default": _("Contract template made the default"),
        "payment.received": _("Payment received"),
        "payment.refunded": _("Payment refunded"),
    }
)
