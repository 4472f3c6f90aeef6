"""What a customer's erasure (PIPL deletion request) does to the test-drive records."""

from .models import DriverLicence, TestDrive


def erase_customer_records(customer, on_hold: bool) -> None:
    """Licence numbers and free-text feedback go; the bookings and signed agreements stay (liability for the car),
    showing the anonymised customer."""
    DriverLicence.objects.filter(customer=customer).update(number="", number_index="")
    TestDrive.objects.filter(customer=customer).exclude(feedback_comment="").update(feedback_comment="")
