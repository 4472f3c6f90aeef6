"""Building registrations at any status for tests (through the services, as a clerk would)."""

import datetime

from django.utils import timezone

from dealerdesk.registrations import services
from dealerdesk.registrations.choices import DEFAULT_HOLDER, RegistrationStatus
from dealerdesk.registrations.models import Registration

S = RegistrationStatus
_PLATES = iter(f"粤B{n:05d}" for n in range(10000, 99999))


def receive_all(clerk, registration: Registration) -> None:
    for doc in registration.documents.filter(received_at__isnull=True):
        services.registration_document_receive(
            actor=clerk, registration=registration, kind=doc.kind, holder=DEFAULT_HOLDER[doc.kind]
        )


def registration_at(clerk, order, status: str, *, plate: str | None = None) -> Registration:
    """A registration of `order` opened by `clerk` and moved to `status`."""
    registration = services.registration_open(actor=clerk, order=order)
    if status == S.COLLECTING_DOCUMENTS:
        return registration
    receive_all(clerk, registration)
    services.registration_submit(actor=clerk, registration=registration, office="深圳市车管所")
    if status == S.SUBMITTED:
        return Registration.objects.get(pk=registration.pk)
    services.registration_record_plate(
        actor=clerk,
        registration=registration,
        plate=plate or next(_PLATES),
        licence_issued_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    if status == S.PLATE_ISSUED:
        return Registration.objects.get(pk=registration.pk)
    services.registration_complete(actor=clerk, registration=registration)
    return Registration.objects.get(pk=registration.pk)
