from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveriesConfig(AppConfig):
    name = "dealerdesk.deliveries"
    label = "deliveries"
    verbose_name = _("Deliveries")

    def ready(self) -> None:
        from . import queues

        queues.register()  # what waits for each role, counted in the navigation
        from dealerdesk.customers.records import register_record_source

        from .records import delivery_records

        register_record_source(delivery_records)  # listed on the customer card
        from dealerdesk.customers.merge import register_customer_relation

        from . import actions, duties, subject_data  # noqa: F401  register audit labels and periodic duties
        from .models import Delivery, WarrantyClock

        register_customer_relation(Delivery)
        register_customer_relation(WarrantyClock)
        from dealerdesk.sales.services import register_order_cancelled

        from .services import delivery_cancel_with_order

        register_order_cancelled(delivery_cancel_with_order)
        subject_data.register()  # the customer's access export (PIPL) lists these records
        from dealerdesk.showroom.appointments import register_appointment_source

        from .appointments import todays_deliveries

        register_appointment_source(todays_deliveries)  # reception checks the customer in
        from dealerdesk.customers.privacy import register_eraser

        from .privacy import erase_customer_records

        register_eraser(erase_customer_records)
