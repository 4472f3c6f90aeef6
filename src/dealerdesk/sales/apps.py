from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "dealerdesk.sales"
    label = "sales"
    verbose_name = _("Orders and contracts")

    def ready(self) -> None:
        from . import queues

        queues.register()  # what waits for each role, counted in the navigation
        from dealerdesk.customers.records import register_record_source

        from .records import order_records

        register_record_source(order_records)  # listed on the customer card
        from dealerdesk.customers.merge import register_customer_relation

        from . import actions, legal_hold, outcomes, subject_data  # noqa: F401  audit labels
        from .models import Contract, Order, Payment

        register_customer_relation(Order)
        register_customer_relation(Contract)
        register_customer_relation(Payment)
        outcomes.register()  # the showroom's traffic report counts visits that ended with an order
        legal_hold.register()  # erasing a customer keeps their signed contracts
        subject_data.register()  # the customer's access export (PIPL) lists these records
