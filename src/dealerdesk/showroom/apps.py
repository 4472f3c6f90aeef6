from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShowroomConfig(AppConfig):
    name = "dealerdesk.showroom"
    label = "showroom"
    verbose_name = _("Showroom and pre-sales")

    def ready(self) -> None:
        from . import queues

        queues.register()  # what waits for each role, counted in the navigation
        from . import actions, outcomes, subject_data  # noqa: F401  registers audit labels and the built-in visit outcome

        subject_data.register()  # the customer's access export (PIPL) lists these records
