"""Test-drive pages: the day view with a lane per demo car and per consultant, the booking form, the booking with
every step of the drive, the agreement PDF, the fleet, "my day", and the public booking and feedback pages.

Reads go through selectors (not visible → 404), writes through services; bad input re-renders the page with the
messages under the fields (400); a refused move is shown as a message (and the next free slots when taken)."""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.catalog.choices import DEMO_MOVES, DemoStatus
from dealerdesk.catalog.models import Series, StockVehicle
from dealerdesk.core.errors import DomainError
from dealerdesk.customers.choices import ConsentPurpose
from dealerdesk.customers.models import Consent, Customer
from dealerdesk.customers.privacy import masked_mobile
from dealerdesk.customers.search import SearchTooBroad, search_customers
from dealerdesk.customers.selectors import customer_visible_to, grade_policies_for

from . import fleet, selectors, services, throttle
from .choices import (
    RESCHEDULABLE,
    STAFF_CHANNELS,
    TESTDRIVE_MOVES,
    BriefingItem,
    Channel,
    FirstDriver,
    LicenceClass,
    TestDriveStatus,
)
from .ics import booking_ics
from .models import DriverLicence, Route, TestDrive, TestDriveAgreement, TestDriveChange

PREP_OPEN = (TestDriveStatus.REQUESTED, TestDriveStatus.CONFIRMED, TestDriveStatus.PREPARED)


def _store_from(request: HttpRequest, stores: list[Store]) -> Store:
    if not stores:
        raise PermissionDenied
    code = request.GET.get("store") or request.POST.get("store") or ""
    return next((s for s in stores if s.code == code), stores[0])


def _day_from(request: HttpRequest, store: Store) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return selectors.local_today(store)


def _aware(store: Store, day: str, hhmm: str) -> datetime | str:
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), tzinfo=store.tz)
    except ValueError:
        return ""


# ---------------------------------------------------------------- day view and my day


@login_required
def testdrive_day(request: HttpRequest) -> HttpResponse:
    """A day of the store: a lane per demo car and per consultant, and the bookings in order."""
    stores = selectors.fleet_stores(request.user)
    store = _store_from(request, stores)
    day = _day_from(request, store)
    view = selectors.day_view(request.user, store, day)
    context = {
        **view,
        "stores": stores,
        "store": store,
        "day": day,
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1),
        "can_book": user_can(request.user, "testdrives.book", store),
    }
    return render(request, "testdrives/day.html", context)


@login_required
def testdrive_my_day(request: HttpRequest) -> HttpResponse:
    """Today's test drives of the user: the fragment for the "my day" page (htmx), a full page when opened by URL."""
    context = {"drives": selectors.my_day(request.user)}
    return render(request, "testdrives/_my_day.html" if request.htmx else "testdrives/my_day.html", context)


# ---------------------------------------------------------------- booking form


def _customer_choice(user, store: Store, pk: str) -> Customer | None:
    """The chosen customer (visible to the user, of the store) or None."""
    if not str(pk).isdigit():
        return None
    customer = customer_visible_to(user).filter(pk=pk, store=store).first()
    if customer is not None:
        customer.mobile_masked = masked_mobile(customer)
    return customer


@login_required
@require_POST
def testdrive_customer_search(request: HttpRequest) -> HttpResponse:
    """The customer picker of the booking form: the customers app's one-box search, limited to the store.

    POSTed like the customer list's search, so that a name or mobile never lands in a URL or an access log; the
    chosen customer is sent along and stays first (and chosen) whatever the new results."""
    stores = selectors.testdrive_stores(request.user)
    store = _store_from(request, stores)
    chosen = _customer_choice(request.user, store, request.POST.get("customer", ""))
    results: list[Customer] = []
    error = None
    query = request.POST.get("customer_q", "").strip()
    if query:
        try:
            results = [c for c in search_customers(request.user, query) if c.store_id == store.pk]
        except SearchTooBroad as exc:
            error = exc.message
    results = [c for c in results if chosen is None or c.pk != chosen.pk]
    for customer in results:
        customer.mobile_masked = masked_mobile(customer)
    context = {"chosen": chosen, "results": results, "search_error": error, "searched": bool(query)}
    return render(request, "testdrives/_customer_choices.html", context)


def _booking_choices(user, store: Store, customer: str) -> dict:
    return {
        "chosen": _customer_choice(user, store, customer),
        "cars": list(selectors.bookable_cars(store)),
        "consultants": selectors.consultants_of(store),
        "routes": list(selectors.routes_of(store)),
        "channels": [(c.value, c.label) for c in Channel if c in STAFF_CHANNELS],
    }


def _picked_slot(value: str) -> dict | None:
    """A suggested slot's button value, "car|day|start|end", as form values; None when absent or malformed."""
    parts = value.split("|")
    if len(parts) != 4 or not parts[0].isdigit():
        return None
    car, day, start, end = parts
    try:
        date.fromisoformat(day)
        datetime.strptime(start, "%H:%M")
        datetime.strptime(end, "%H:%M")
    except ValueError:
        return None
    return {"demo_car": car, "day": day, "start_time": start, "end_time": end}


@login_required
@require_http_methods(["GET", "POST"])
def testdrive_new(request: HttpRequest) -> HttpResponse:
    """Book a test drive for a customer (phone, walk-in, WeChat)."""
    stores = selectors.testdrive_stores(request.user)
    store = _store_from(request, stores)
    source = request.POST if request.method == "POST" else request.GET
    values = {
        k: source.get(k, "")
        for k in ("customer", "demo_car", "consultant", "route", "day", "start_time", "end_time", "channel", "notes")
    }
    values["day"] = values["day"] or (selectors.local_today(store) + timedelta(days=1)).isoformat()
    values["channel"] = values["channel"] or Channel.WALK_IN
    if not values["consultant"] and user_can(request.user, "sales.sell", store):
        values["consultant"] = str(request.user.pk)
    errors: dict = {}
    next_free: list = []
    status = 200
    picked = _picked_slot(request.POST.get("pick_slot", "")) if request.method == "POST" else None
    if picked is not None:
        # a suggested slot after a refusal: it replaces the car and the time, and keeps all else that was entered
        values.update(picked)
    elif request.method == "POST":
        customer = customer_visible_to(request.user).filter(pk=values["customer"] or 0, store=store).first()
        car = StockVehicle.objects.filter(pk=values["demo_car"] or 0, store=store, is_demo=True).first()
        consultant = User.objects.filter(pk=values["consultant"] or 0).first() if values["consultant"] else None
        route = Route.objects.filter(pk=values["route"] or 0, store=store).first() if values["route"] else None
        if customer is None:
            errors["customer"] = [_("Choose the customer.")]
        if car is None:
            errors["demo_car"] = [_("Choose a demo car of this store.")]
        if not errors:
            try:
                td = services.testdrive_book(
                    actor=request.user,
                    store=store,
                    customer=customer,
                    demo_car=car,
                    consultant=consultant,
                    route=route,
                    start=_aware(store, values["day"], values["start_time"]),
                    end=_aware(store, values["day"], values["end_time"]) if values["end_time"] else None,
                    channel=values["channel"],
                    notes=values["notes"],
                )
                messages.success(request, _("Test drive %(number)s booked.") % {"number": td.number})
                return redirect("testdrive_detail", pk=td.pk)
            except ValidationError as exc:
                errors = exc.message_dict
            except services.SlotTaken as exc:
                errors = {"start": [str(exc.message)]}
                next_free = [
                    {
                        **slot,
                        "day": datetime.fromisoformat(slot["start"]).astimezone(store.tz).date().isoformat(),
                        "start_time": datetime.fromisoformat(slot["start"]).astimezone(store.tz).strftime("%H:%M"),
                        "end_time": datetime.fromisoformat(slot["end"]).astimezone(store.tz).strftime("%H:%M"),
                    }
                    for slot in exc.extra.get("next_free", [])
                ]
            except DomainError as exc:
                errors = {exc.field or "start": [str(exc.message)]}
        status = 400 if errors and not next_free else (409 if next_free else 200)
    context = {
        "store": store,
        "stores": stores,
        "values": values,
        "errors": errors,
        "next_free": next_free,
        **_booking_choices(request.user, store, values["customer"]),
    }
    return render(request, "testdrives/new.html", context, status=status)


# ---------------------------------------------------------------- the booking and its steps


def _detail_or_404(user, pk: int) -> TestDrive:
    try:
        return selectors.testdrive_get(user, pk)
    except TestDrive.DoesNotExist:
        raise Http404 from None


def _licence_of(td: TestDrive) -> DriverLicence | None:
    """The booking's licence with its customer taken from the booking (already loaded), saving a query."""
    licence = td.licence
    if licence is not None and licence.customer_id == td.customer_id:
        licence.customer = td.customer
    return licence


def _detail_context(
    request: HttpRequest, td: TestDrive, errors: dict | None = None, step: str = "", licence_revealed: str = ""
) -> dict:
    user = request.user
    store = td.store
    agreement = TestDriveAgreement.objects.filter(test_drive=td).defer("pdf", "signature_png").first()
    sells = user_can(user, "sales.sell", store) and user_can(user, "testdrives.book", store)
    books = user_can(user, "testdrives.book", store)
    moves = TESTDRIVE_MOVES[td.status]
    today = selectors.local_today(store)
    insurance = td.demo_car.insurance_expires_on
    return {
        "td": td,
        "store": store,
        "agreement": agreement,
        "changes": list(TestDriveChange.objects.filter(test_drive=td).select_related("old_demo_car", "changed_by")),
        "missing": services.checklist_missing(td) if td.status in PREP_OPEN else [],
        "licence_problem": services.licence_problem(td.licence, td) if td.status in PREP_OPEN else None,
        "licence_masked": services.mask_licence(td.licence.number) if td.licence_id else "",
        "can_reveal_licence": bool(td.licence_id and td.licence.number)
        and services.can_reveal_licence(user, _licence_of(td)),
        "licence_revealed": licence_revealed,
        "has_licence_consent": Consent.objects.filter(
            customer_id=td.customer_id, purpose=ConsentPurpose.LICENCE_CAPTURE, withdrawn_at__isnull=True
        ).exists(),
        "settings": selectors.settings_for(store),
        "routes": list(selectors.routes_of(store)),
        "consultants": selectors.consultants_of(store),
        "cars": list(selectors.bookable_cars(store)),
        "briefing_items": BriefingItem.choices,
        "first_drivers": FirstDriver.choices,
        "licence_classes": LicenceClass.choices,
        "grades": list(grade_policies_for(td.customer.store_id).values()),
        "may": {
            "confirm": books and TestDriveStatus.CONFIRMED in moves,
            "prepare_steps": sells and td.status in PREP_OPEN,
            "prepare": sells and TestDriveStatus.PREPARED in moves,
            "agreement": sells
            and td.status in (TestDriveStatus.CONFIRMED, TestDriveStatus.PREPARED)
            and not (agreement and agreement.accepted_at),
            "start": sells and TestDriveStatus.IN_PROGRESS in moves,
            "complete": sells and TestDriveStatus.COMPLETED in moves,
            "check": sells and td.status == TestDriveStatus.COMPLETED and not td.checked_at,
            "feedback": books and td.status == TestDriveStatus.COMPLETED and not td.feedback_at,
            "debrief": sells and td.status == TestDriveStatus.COMPLETED and not td.debriefed_at,
            "cancel": books and TestDriveStatus.CANCELLED in moves,
            # the service refuses a no-show before the start: do not offer it earlier
            "no_show": books and TestDriveStatus.NO_SHOW in moves and timezone.now() >= td.start_at,
            "reschedule": books and td.status in RESCHEDULABLE,
        },
        "feedback_url": reverse("testdrive_public_feedback", args=[services.feedback_token(td)])
        if td.status == TestDriveStatus.COMPLETED and not td.feedback_at
        else "",
        # flagged like on the fleet page, so that the consultant sees it while preparing the car
        "insurance_expiring": insurance is not None and insurance <= today + timedelta(days=fleet.INSURANCE_ALERT_DAYS),
        "insurance_expired": insurance is not None and insurance < today,
        # the service's own time rules, shown before the click (the reschedule form is the way out of a refusal)
        "start_refusal": services.start_refusal(td) if TestDriveStatus.IN_PROGRESS in moves else None,
        "complete_refusal": services.complete_refusal(td) if TestDriveStatus.COMPLETED in moves else None,
        "errors": errors or {},
        "step": step,
        "local_day": timezone.localtime(td.start_at, store.tz).date().isoformat(),
        "local_start": timezone.localtime(td.start_at, store.tz).strftime("%H:%M"),
        "local_end": timezone.localtime(td.end_at, store.tz).strftime("%H:%M"),
    }


@login_required
def testdrive_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The booking with its history and the steps allowed now."""
    td = _detail_or_404(request.user, pk)
    return render(request, "testdrives/detail.html", _detail_context(request, td))


@login_required
@require_POST
def testdrive_licence_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The full licence number for a role allowed to reveal it (like the customer's ID number); every reveal is
    written to the access log. htmx gets the fragment, a plain form post the page with the number shown once."""
    td = _detail_or_404(request.user, pk)
    if td.licence_id is None:
        raise Http404
    try:
        number = services.licence_reveal(
            actor=request.user, licence=_licence_of(td), reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        if request.htmx:
            return render(request, "customers/_revealed.html", {"error": exc.message}, status=exc.status)
        messages.error(request, exc.message)
        return redirect("testdrive_detail", pk=td.pk)
    if request.htmx:
        response = render(request, "customers/_revealed.html", {"value": number, "field": "licence"})
    else:
        response = render(request, "testdrives/detail.html", _detail_context(request, td, licence_revealed=number))
    # the full number must not stay in a shared or browser cache
    patch_cache_control(response, no_store=True, private=True)
    return response


def _flag(post, name: str) -> bool:
    return post.get(name) in ("on", "1", "true", "yes")


def _route(post, td) -> Route | None:
    pk = post.get("route") or ""
    return Route.objects.filter(pk=pk, store_id=td.store_id).first() if pk.isdigit() else None


def _step_call(step: str, request: HttpRequest, td: TestDrive):
    p, user = request.POST, request.user
    if step == "confirm":
        consultant = User.objects.filter(pk=p.get("consultant") or 0).first() if p.get("consultant") else None
        return services.testdrive_confirm(actor=user, test_drive=td, consultant=consultant), _("Confirmed.")
    if step == "checklist":
        services.preparation_save(
            actor=user,
            test_drive=td,
            clean=_flag(p, "clean"),
            energy_percent=p.get("energy_percent"),
            no_warning_lights=_flag(p, "no_warning_lights"),
            equipment_present=_flag(p, "equipment_present"),
            route=_route(p, td),
        )
        return td, _("Checklist saved.")
    if step == "consent":
        from dealerdesk.customers.services import consent_grant

        consent_grant(
            actor=user,
            customer=td.customer,
            purpose=ConsentPurpose.LICENCE_CAPTURE,
            channel="in_person",
            notice_version=p.get("notice_version") or "2026-01",
        )
        return td, _("Consent recorded.")
    if step == "licence":
        services.licence_record(
            actor=user,
            test_drive=td,
            number=p.get("number", ""),
            licence_class=p.get("licence_class", ""),
            expires_on=p.get("expires_on", ""),
        )
        return td, _("Licence recorded.")
    if step == "prepare":
        return services.testdrive_prepare(actor=user, test_drive=td), _("Prepared.")
    if step == "agreement":
        services.agreement_generate(actor=user, test_drive=td)
        return td, _("Agreement generated.")
    if step == "accept":
        services.agreement_accept(
            actor=user, test_drive=td, typed_name=p.get("typed_name", ""), signature=p.get("signature", "")
        )
        return td, _("Agreement accepted.")
    if step == "start":
        return services.testdrive_start(
            actor=user,
            test_drive=td,
            odometer_out=p.get("odometer_out"),
            first_driver=p.get("first_driver", ""),
            briefing=p.getlist("briefing"),
            precautions_acknowledged=_flag(p, "precautions_acknowledged"),
        ), _("The drive has started.")
    if step == "complete":
        return services.testdrive_complete(
            actor=user, test_drive=td, odometer_in=p.get("odometer_in"), incident=p.get("incident", "")
        ), _("The drive is completed.")
    if step == "check":
        services.testdrive_check_after(
            actor=user,
            test_drive=td,
            damage=_flag(p, "damage"),
            damage_notes=p.get("damage_notes", ""),
            energy_percent=p.get("energy_percent"),
            clean=_flag(p, "clean"),
            equipment_returned=_flag(p, "equipment_returned"),
        )
        return td, _("Check recorded.")
    if step == "feedback":
        services.feedback_record(
            actor=user,
            test_drive=td,
            drive_rating=p.get("drive_rating"),
            consultant_rating=p.get("consultant_rating"),
            comment=p.get("comment", ""),
        )
        return td, _("Feedback recorded.")
    if step == "feedback_link":
        services.feedback_request_send(actor=user, test_drive=td)
        return td, _("The feedback link was sent to the customer.")
    if step == "debrief":
        services.debrief_record(
            actor=user,
            test_drive=td,
            impression=p.get("impression", ""),
            next_step=p.get("next_step", ""),
            grade=p.get("grade", ""),
        )
        return td, _("Debrief recorded; a follow-up is planned for tomorrow.")
    if step == "cancel":
        return services.testdrive_cancel(actor=user, test_drive=td, reason=p.get("reason", "")), _("Cancelled.")
    if step == "no_show":
        return services.testdrive_no_show(actor=user, test_drive=td, reason=p.get("reason", "")), _("Recorded.")
    if step == "reschedule":
        store = td.store
        car = StockVehicle.objects.filter(pk=p.get("demo_car") or 0, store=store, is_demo=True).first()
        consultant = User.objects.filter(pk=p.get("consultant") or 0).first() if p.get("consultant") else None
        return services.testdrive_reschedule(
            actor=user,
            test_drive=td,
            start=_aware(store, p.get("day", ""), p.get("start_time", "")),
            end=_aware(store, p.get("day", ""), p.get("end_time", "")) if p.get("end_time") else None,
            demo_car=car,
            consultant=consultant,
            reason=p.get("reason", ""),
        ), _("Rescheduled.")
    raise Http404


@login_required
@require_POST
def testdrive_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One step of the drive; bad input re-renders the booking with the messages under the step's fields."""
    td = _detail_or_404(request.user, pk)
    try:
        _td, message = _step_call(step, request, td)
    except ValidationError as exc:
        td = _detail_or_404(request.user, pk)
        context = _detail_context(request, td, errors=exc.message_dict, step=step)
        return render(request, "testdrives/detail.html", context, status=400)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("testdrive_detail", pk=pk)
    messages.success(request, message)
    return redirect("testdrive_detail", pk=pk)


@login_required
def testdrive_agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    td = _detail_or_404(request.user, pk)
    agreement = get_object_or_404(TestDriveAgreement, test_drive=td)
    response = HttpResponse(bytes(agreement.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agreement-{td.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- fleet


@login_required
def demo_car_list(request: HttpRequest) -> HttpResponse:
    """The demo cars of a store: status, insurance (expiring highlighted), odometer, this week's utilisation."""
    stores = selectors.fleet_stores(request.user)
    store = _store_from(request, stores)
    today = selectors.local_today(store)
    try:
        week_of = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        week_of = today
    report = selectors.utilisation(store, fleet.week_start(week_of))
    cars = list(selectors.demo_car_visible_to(request.user).filter(store=store).order_by("demo_status", "id"))
    manages = user_can(request.user, "fleet.manage", store)
    rows = [
        {
            "car": car,
            "expiring": car.insurance_expires_on is not None
            and car.insurance_expires_on <= today + timedelta(days=fleet.INSURANCE_ALERT_DAYS),
            "expired": car.insurance_expires_on is not None and car.insurance_expires_on < today,
            "moves": [(s, DemoStatus(s).label) for s in DemoStatus.values if s in DEMO_MOVES[car.demo_status]]
            if manages
            else [],
            # whoever drives it records a check reading; the fleet manager also corrects one downward (with a reason)
            "records_odometer": car.demo_status != DemoStatus.RETIRED
            and (manages or user_can(request.user, "sales.sell", car)),
        }
        for car in cars
    ]
    context = {
        "store": store,
        "stores": stores,
        "rows": rows,
        "report": report,
        "manages": manages,
        "previous_week": report["week_start"] - timedelta(days=7),
        "next_week": report["week_start"] + timedelta(days=7),
    }
    return render(request, "testdrives/fleet.html", context)


@login_required
@require_POST
def demo_car_status(request: HttpRequest, pk: int) -> HttpResponse:
    car = selectors.demo_car_visible_to(request.user).filter(pk=pk).first()
    if car is None:
        raise Http404
    demo_status = request.POST.get("demo_status", "")
    if not demo_status or demo_status == car.demo_status:
        # the placeholder (or the current status) sent by a stray click: nothing to change, say so
        messages.error(request, _("No change: choose the new status of %(plate)s.") % {"plate": car.plate})
        return redirect(f"{reverse('demo_car_list')}?store={car.store.code}")
    try:
        fleet.demo_car_set_status(
            actor=request.user,
            vehicle=car,
            demo_status=demo_status,
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("Demo car %(plate)s updated.") % {"plate": car.plate})
    except (ValidationError, DomainError) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc.message))
    return redirect(f"{reverse('demo_car_list')}?store={car.store.code}")


@login_required
@require_POST
def demo_car_odometer(request: HttpRequest, pk: int) -> HttpResponse:
    """A fleet check's odometer reading: the one HTML path to `fleet.demo_car_record_odometer` (issue #12.2)."""
    car = selectors.demo_car_visible_to(request.user).filter(pk=pk).first()
    if car is None:
        raise Http404
    try:
        car = fleet.demo_car_record_odometer(
            actor=request.user,
            vehicle=car,
            odometer_km=request.POST.get("odometer_km", "").strip(),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("Odometer of %(plate)s: %(km)d km.") % {"plate": car.plate, "km": car.odometer_km})
    except (ValidationError, DomainError) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc.message))
    return redirect(f"{reverse('demo_car_list')}?store={car.store.code}")


# ---------------------------------------------------------------- public pages (no login)


def public_book(request: HttpRequest, store_code: str) -> HttpResponse:
    """The store's public booking page: a series, a day, a free slot, name and mobile, the notice."""
    store = Store.objects.filter(code=store_code, is_active=True).first()
    config = selectors.settings_for(store) if store else None
    if store is None or not config.public_booking_enabled:
        raise Http404
    series_ids = selectors.bookable_cars(store).values_list("trim__series_id", flat=True)
    series = list(Series.objects.filter(pk__in=series_ids).select_related("brand").order_by("name"))
    source = request.POST if request.method == "POST" else request.GET
    values = {k: source.get(k, "") for k in ("series", "day", "start", "name", "mobile")}
    values["notice"] = _flag(request.POST, "notice")  # kept checked when the form comes back with errors
    values["day"] = values["day"] or (selectors.local_today(store) + timedelta(days=1)).isoformat()
    if not values["series"] and series:
        values["series"] = str(series[0].pk)
    errors: dict = {}
    booked = None
    status = 200
    if request.method == "POST":
        refusal = throttle.booking_refusal(request, values["mobile"])
        if refusal:
            errors = {"page": [refusal]}
            status = 429
        else:
            chosen = next((s for s in series if str(s.pk) == values["series"]), None)
            try:
                booked = services.public_book(
                    store=store,
                    series=chosen,
                    start=values["start"],
                    name=values["name"],
                    mobile=values["mobile"],
                    notice_accepted=_flag(request.POST, "notice"),
                )
                throttle.booking_made(values["mobile"])
            except ValidationError as exc:
                errors, status = exc.message_dict, 400
            except DomainError as exc:
                errors, status = {exc.field or "start": [str(exc.message)]}, exc.status
    context = {
        "store": store,
        "settings": config,
        "series": series,
        "values": values,
        "errors": errors,
        "booked": booked,
        # in store time, inside one translated sentence (no ASCII full stop between Chinese sentences)
        "booked_start": timezone.localtime(booked.start_at, store.tz).strftime("%Y-%m-%d %H:%M") if booked else "",
        **_public_slots(store, values),
    }
    return render(request, "testdrives/public_book.html", context, status=status)


def _public_slots(store: Store, values: dict) -> dict:
    try:
        day = date.fromisoformat(values["day"])
    except ValueError:
        day = selectors.local_today(store) + timedelta(days=1)
    cars = list(selectors.bookable_cars(store, series_id=int(values["series"]) if values["series"].isdigit() else 0))
    rows = selectors.availability(store, day, cars) if values["series"].isdigit() else []
    starts: dict[datetime, bool] = {}
    for row in rows:
        for slot in row["slots"]:
            starts[slot["start"]] = starts.get(slot["start"], False) or slot["free"]
    slots = [
        {"value": start.isoformat(), "label": timezone.localtime(start, store.tz).strftime("%H:%M"), "free": free}
        for start, free in sorted(starts.items())
    ]
    return {"slots": slots, "slot_day": day, "has_full": any(not s["free"] for s in slots)}


def public_slots(request: HttpRequest, store_code: str) -> HttpResponse:
    """The free slots of a series on a day (htmx fragment of the public page)."""
    store = Store.objects.filter(code=store_code, is_active=True).first()
    if store is None or not selectors.settings_for(store).public_booking_enabled:
        raise Http404  # like the booking page: a store that does not book online shows nothing of its fleet
    # The chosen slot is sent along so that a late or repeated refresh keeps it selected when it is still free.
    values = {k: request.GET.get(k, "") for k in ("series", "day", "start")}
    return render(request, "testdrives/_public_slots.html", {"values": values, **_public_slots(store, values)})


@require_http_methods(["GET", "POST"])
def public_feedback(request: HttpRequest, token: str) -> HttpResponse:
    """The customer rates the drive and the consultant through the link sent by message."""
    pk = services.read_token(token, services.FEEDBACK_SALT)
    td = TestDrive.objects.select_related("store", "trim__series", "consultant").filter(pk=pk).first() if pk else None
    if td is None:
        raise Http404
    errors: dict = {}
    done = td.feedback_at is not None
    status = 200
    if request.method == "POST" and not done:
        if not throttle.allow("ip", throttle.client_ip(request), throttle.PER_IP):
            errors, status = {"page": [_("Too many attempts; try again later.")]}, 429
        else:
            try:
                services.feedback_from_link(
                    token=token,
                    drive_rating=request.POST.get("drive_rating"),
                    consultant_rating=request.POST.get("consultant_rating"),
                    comment=request.POST.get("comment", ""),
                )
                done = True
            except ValidationError as exc:
                errors, status = exc.message_dict, 400
            except DomainError as exc:
                errors, status = {"page": [str(exc.message)]}, exc.status
    return render(
        request,
        "testdrives/public_feedback.html",
        {"td": td, "errors": errors, "done": done, "ratings": range(1, 6), "values": request.POST},
        status=status,
    )


def public_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The booking's .ics through the signed link in the confirmation message."""
    pk = services.read_token(token, services.CALENDAR_SALT)
    td = TestDrive.objects.select_related("store", "trim__series__brand").filter(pk=pk).first() if pk else None
    if td is None:
        raise Http404
    response = HttpResponse(booking_ics(td), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="testdrive-{td.number}.ics"'
    return response


# ---------------------------------------------------------------- store settings and routes


@login_required
@require_http_methods(["GET", "POST"])
def testdrive_settings(request: HttpRequest, store_code: str) -> HttpResponse:
    """The store's test-drive rules, agreement template and routes (sales managers and store administrators)."""
    store = next((s for s in selectors.fleet_stores(request.user) if s.code == store_code), None)
    if store is None:
        raise Http404
    if not user_can(request.user, "fleet.manage", store):
        raise PermissionDenied
    errors: dict = {}
    status = 200
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("form") == "route":
                route = Route.objects.filter(pk=p.get("route") or 0, store=store).first() if p.get("route") else None
                services.route_save(
                    actor=request.user,
                    store=store,
                    name=p.get("name", ""),
                    distance_km=p.get("distance_km"),
                    duration_minutes=p.get("duration_minutes"),
                    description=p.get("description", ""),
                    route=route,
                    is_active=p.get("is_active", "on") == "on",
                )
                messages.success(request, _("Route saved."))
            else:
                values = {k: p.get(k) for k in services.SETTINGS_FIELDS if k in p}
                values["public_booking_enabled"] = _flag(p, "public_booking_enabled")
                services.testdrive_settings_update(actor=request.user, store=store, **values)
                messages.success(request, _("Test-drive settings saved."))
            return redirect("testdrive_settings", store_code=store.code)
        except ValidationError as exc:
            errors, status = exc.message_dict, 400
        except DomainError as exc:
            messages.error(request, str(exc.message))
    context = {
        "store": store,
        "settings": selectors.settings_for(store),
        "routes": list(Route.objects.filter(store=store).order_by("-is_active", "name")),
        "errors": errors,
        "values": request.POST,
        "public_url": reverse("testdrive_public_book", args=[store.code]),
    }
    return render(request, "testdrives/settings.html", context, status=status)
