"""What a customer's erasure (PIPL deletion request) does to the delivery records."""

from django.core.files.storage import default_storage
from django.db import transaction

from .models import HandoverPhoto


def erase_customer_records(customer, on_hold: bool) -> None:
    """Handover photos may show the person and are not part of the signed record: they go, files included (after
    the erasure commits). The delivery, its confirmation PDF and warranty stay under the legal hold."""
    photos = HandoverPhoto.objects.filter(delivery__customer=customer)
    names = [n for pair in photos.values_list("file", "thumbnail") for n in pair if n]
    photos.delete()
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names])
