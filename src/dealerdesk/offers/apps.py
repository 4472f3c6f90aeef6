from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OffersConfig(AppConfig):
    name = "dealerdesk.offers"
    label = "offers"
    verbose_name = _("Promotions and offers")

    def ready(self) -> None:
        from . import queues

        queues.register()  # what waits for each role, counted in the navigation
        from dealerdesk.customers.merge import register_customer_relation

        from . import actions, duties, outcomes, subject_data  # noqa: F401  register audit labels and periodic duties
        from .models import Offer

        register_customer_relation(Offer)
        outcomes.register()  # the showroom's traffic report counts visits that ended with an offer
        subject_data.register()  # the customer's access export (PIPL) lists these records
