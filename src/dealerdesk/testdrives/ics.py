"""The booking as an iCalendar (.ics) file for the customer's calendar."""

from icalendar import Calendar, Event

from .models import TestDrive


def booking_ics(td: TestDrive) -> bytes:
    """One VEVENT with the drive's time, place and what to bring; its UID stays the same when it is moved."""
    cal = Calendar()
    cal.add("prodid", "-//DealerDesk//Test drives//ZH")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"testdrive-{td.pk}@dealerdesk")
    event.add("dtstamp", td.updated_at or td.created_at)
    event.add("dtstart", td.start_at)
    event.add("dtend", td.end_at)
    event.add("summary", f"试驾 {td.trim} · {td.store.name}")
    event.add("location", td.store.address or td.store.name)
    event.add("description", f"预约编号 {td.number}。请携带有效驾驶证。")
    event.add("status", "CANCELLED" if td.status in ("cancelled", "no_show") else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()
