from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TestDrivesConfig(AppConfig):
    name = "dealerdesk.testdrives"
    label = "testdrives"
    verbose_name = _("Test drives")
