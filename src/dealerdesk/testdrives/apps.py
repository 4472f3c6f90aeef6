from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TestDrivesConfig(AppConfig):
    name = "dealerdesk.testdrives"
    label = "testdrives"
    verbose_name = _("Test drives")

    def ready(self) -> None:
        from . import queues

        queues.register()  # what waits for each role, counted in the navigation
        from dealerdesk.customers.records import register_record_source

        from .records import test_drive_records

        register_record_source(test_drive_records)  # listed on the customer card
        from dealerdesk.customers.merge import register_customer_relation
        from dealerdesk.customers.privacy import register_eraser

        from . import actions, duties, outcomes, subject_data  # noqa: F401  register audit labels and periodic duties
        from .models import DriverLicence, TestDrive, TestDriveAgreement
        from .privacy import erase_customer_records

        for model in (TestDrive, DriverLicence, TestDriveAgreement):
            register_customer_relation(model)
        outcomes.register()  # the showroom's traffic report counts visits that ended with a test drive
        register_eraser(erase_customer_records)
        subject_data.register()  # the customer's access export (PIPL) lists these records
