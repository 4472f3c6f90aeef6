from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "dealerdesk.registrations"
    label = "registrations"
    verbose_name = _("Registration (上牌)")

    def ready(self) -> None:
        from . import queues

        queues.register()  # what waits for each role, counted in the navigation
        from dealerdesk.customers.records import register_record_source

        from .records import registration_records

        register_record_source(registration_records)  # listed on the customer card
        from dealerdesk.customers.merge import register_customer_relation

        from . import actions, duties, subject_data  # noqa: F401  register audit labels and periodic duties
        from .models import Registration

        register_customer_relation(Registration)
        from dealerdesk.sales.services import register_order_cancelled

        from .services import registration_cancel_with_order

        register_order_cancelled(registration_cancel_with_order)
        subject_data.register()  # the customer's access export (PIPL) lists these records
