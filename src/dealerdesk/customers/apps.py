from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "dealerdesk.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from dealerdesk.core import audit_display

        from . import actions, queues, visibility  # noqa: F401  importing actions registers audit action labels

        queues.register()  # what waits for each role, counted in the navigation
        # The audit trail shows changes about customers through the one field-visibility policy, and never a full
        # mobile or ID number, whatever record the change is about (docs/decisions/0013).
        audit_display.register_diff_policy(visibility.audit_diffs)
        audit_display.register_identifiers(visibility.IDENTIFIERS, visibility.mask)
