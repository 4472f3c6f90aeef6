"""What the test-drive app holds about a customer, for their subject-access export (PIPL access request).

The licence number is the person's own data and is given in full; its blind index (a lookup key) is not."""

from dealerdesk.customers.privacy import register_subject_section

from .models import DriverLicence, TestDrive


def _staff(user) -> str | None:
    return str(user) if user is not None else None


def test_drives(customer) -> list[dict]:
    """Each booking: the car, the time, the drive, their feedback and the agreement they accepted."""
    rows = []
    for td in (
        TestDrive.objects.filter(customer=customer)
        .select_related("consultant", "trim__series__brand", "demo_car", "route", "agreement")
        # the agreement's PDF, text and drawn signature are large; the export names the agreement by its hash
        .defer("agreement__pdf", "agreement__text", "agreement__signature_png")
        .order_by("start_at", "id")
    ):
        agreement = getattr(td, "agreement", None)  # a booking without an agreement raises, hence getattr
        rows.append(
            {
                "number": td.number,
                "status": td.status,
                "channel": td.channel,
                "start_at": td.start_at,
                "end_at": td.end_at,
                "vehicle": str(td.trim),
                "demo_car_plate": td.demo_car.plate,
                "route": td.route.name if td.route else None,
                "consultant": _staff(td.consultant),
                "started_at": td.started_at,
                "ended_at": td.ended_at,
                "distance_km": td.distance_km,
                "incident": td.incident,
                "drive_rating": td.drive_rating,
                "consultant_rating": td.consultant_rating,
                "feedback_comment": td.feedback_comment,
                "feedback_channel": td.feedback_channel,
                "feedback_at": td.feedback_at,
                "consultant_impression": td.impression,
                "next_step": td.next_step,
                "agreement_accepted_name": agreement.accepted_name if agreement else None,
                "agreement_accepted_at": agreement.accepted_at if agreement else None,
                "agreement_sha256": agreement.sha256 if agreement else None,
            }
        )
    return rows


def driver_licences(customer) -> list[dict]:
    """Each driver's licence shown at the store, with its full number (blank once erased)."""
    return [
        {
            "number": licence.number,
            "licence_class": licence.licence_class,
            "expires_on": licence.expires_on,
            "recorded_at": licence.recorded_at,
            "recorded_by": _staff(licence.recorded_by),
        }
        for licence in DriverLicence.objects.filter(customer=customer)
        .select_related("recorded_by")
        .defer("number_index")
        .order_by("recorded_at", "id")
    ]


def register() -> None:
    register_subject_section("test_drives", test_drives)
    register_subject_section("driver_licences", driver_licences)
