from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "dealerdesk.care"
    label = "care"
    verbose_name = _("Customer care")

    def ready(self) -> None:
        from . import actions, queues  # noqa: F401  importing actions registers audit action labels

        queues.register()  # the care desk's calls due, counted in the navigation
