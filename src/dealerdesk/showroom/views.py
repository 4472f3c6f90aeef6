"""Showroom pages: the reception desk (tablet), the live traffic board, visits, the daily traffic report, needs
analysis with the recommendation, walkaround records and the trim comparison (screen and PDF).

Reads go through selectors (not visible → 404), writes through services; a ValidationError re-renders the form
with the errors under the fields (400), a refused business move is shown as a message, success redirects.
"""

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.catalog.models import Trim
from dealerdesk.core.errors import DomainError
from dealerdesk.core.pagination import keyset_page, keyset_page_by_time
from dealerdesk.core.webforms import int_or
from dealerdesk.customers.models import Customer
from dealerdesk.customers.search import SearchTooBroad, search_customers
from dealerdesk.customers.selectors import customer_get, customer_visible_to, grade_policies_for

from . import outcomes, pdf, selectors, services
from .choices import IN_SHOWROOM, EnergyType, Material, VisitStatus, WalkaroundPoint
from .forms import (
    NOTICE_VERSION,
    AdviceForm,
    ArrivalForm,
    AssignForm,
    CustomerSearchForm,
    GradeForm,
    NeedsForm,
    PresentationForm,
    QuickRegisterForm,
    RefreshmentForm,
    ReportForm,
    apply_errors,
)
from .models import NeedsAssessment, Presentation, Visit
from .recommend import as_dict, money, order_reasons

LIST_SIZE = 50
RECOMMENDATIONS_SHOWN = 10
REPORT_DEFAULT_DAYS = 30


# ---------------------------------------------------------------- helpers


def _pick_store(request: HttpRequest, stores: list[Store]) -> Store:
    """The store chosen with ?store=<code> (remembered in the session), else the remembered one, else the first."""
    wanted = request.GET.get("store") or request.POST.get("store") or request.session.get("store_code")
    for store in stores:
        if store.code == wanted:
            request.session["store_code"] = store.code
            return store
    return stores[0]


def _stores_or_403(request: HttpRequest, perm: str) -> list[Store]:
    stores = selectors.stores_where(request.user, perm)
    if not stores:
        raise PermissionDenied
    return stores


def _desk_stores(request: HttpRequest) -> list[Store]:
    stores = [s for s in selectors.stores_where(request.user, "store.view") if services.runs_desk(request.user, s)]
    if not stores:
        raise PermissionDenied
    return stores


def _visit_or_404(request: HttpRequest, pk: int) -> Visit:
    try:
        return selectors.visit_get(request.user, pk)
    except Visit.DoesNotExist:
        raise Http404 from None


def _report_error(request: HttpRequest, exc: ValidationError | DomainError) -> None:
    if isinstance(exc, DomainError):
        messages.error(request, exc.message)
        return
    for message in exc.messages:
        messages.error(request, message)


def _trim_choices(store: Store) -> list[tuple[int, str]]:
    trims = selectors._trims_sold_by(store).select_related("series__brand")
    return [
        (t.pk, selectors.trim_label(t.series.brand.name, t.series.name, t.model_year, t.name))
        for t in trims.order_by("series__brand__code", "series__code", "msrp", "id")
    ]


def budget_text(assessment: NeedsAssessment) -> str:
    """¥150,000 – ¥200,000, with "…" for an open end; "—" without a budget."""
    low, high = assessment.budget_min, assessment.budget_max
    if low is None and high is None:
        return "—"
    return f"{money(low) if low is not None else '…'} – {money(high) if high is not None else '…'}"


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else seconds // 60


# ---------------------------------------------------------------- reception desk


def _desk_context(request: HttpRequest, store: Store) -> dict[str, Any]:
    board = selectors.board_for(request.user, store)
    rotation = selectors.rotation_for(store)
    next_consultant = rotation[0].consultant if rotation and rotation[0].is_free else None
    return {
        "store": store,
        "board": board,
        "rotation": rotation,
        "next_consultant": next_consultant,
        "appointments": selectors.appointments_today(store),
    }


@login_required
@require_GET
def reception_desk(request: HttpRequest) -> HttpResponse:
    """The tablet screen at reception: log an arrival in two taps, hand visitors to the next consultant up."""
    stores = _desk_stores(request)
    store = _pick_store(request, stores)
    with timezone.override(store.tz):
        context = {
            "stores": stores,
            "form": ArrivalForm(store=store),
            **_desk_context(request, store),
        }
        return render(request, "showroom/desk.html", context)


@login_required
@require_GET
def reception_live(request: HttpRequest) -> HttpResponse:
    """The desk's live part (waiting, in the showroom, the rotation), refreshed by htmx."""
    store = _pick_store(request, _desk_stores(request))
    with timezone.override(store.tz):
        return render(request, "showroom/_desk_live.html", _desk_context(request, store))


@login_required
@require_POST
def visit_arrive(request: HttpRequest) -> HttpResponse:
    """Log an arrival from the desk (time automatic)."""
    stores = _desk_stores(request)
    store = _pick_store(request, stores)
    form = ArrivalForm(request.POST, store=store)
    if form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_arrive(
                actor=request.user,
                store=store,
                party_size=data["party_size"],
                kind=data["kind"],
                source=data.get("source") or "",
                notes=data.get("notes") or "",
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("Arrival logged at %(time)s.")
                % {"time": timezone.localtime(visit.arrived_at, store.tz).strftime("%H:%M")},
            )
            return redirect(f"{reverse('reception_desk')}?store={store.code}")
    with timezone.override(store.tz):
        context = {"stores": stores, "form": form, **_desk_context(request, store)}
        return render(request, "showroom/desk.html", context, status=400)


@login_required
@require_POST
def presence_set(request: HttpRequest) -> HttpResponse:
    """Mark a consultant absent for today, or back."""
    store = _pick_store(request, _desk_stores(request))
    # only a person of this store: another store's staff id answers as a missing one (404)
    consultant = (
        User.objects.filter(pk=int_or(request.POST.get("consultant"), 0), memberships__store=store).distinct().first()
    )
    if consultant is None:
        raise Http404
    try:
        services.presence_set(
            actor=request.user, store=store, consultant=consultant, absent=request.POST.get("absent") == "1"
        )
    except (ValidationError, DomainError) as exc:
        _report_error(request, exc)
    if request.htmx:
        with timezone.override(store.tz):
            return render(request, "showroom/_desk_live.html", _desk_context(request, store))
    return redirect(f"{reverse('reception_desk')}?store={store.code}")


@login_required
@require_POST
def visit_check_in(request: HttpRequest) -> HttpResponse:
    """An expected customer arrived for today's appointment: logged and handed to their consultant if free."""
    store = _pick_store(request, _desk_stores(request))
    booked = {
        row.appointment.customer.pk: row.appointment for row in selectors.appointments_today(store)
    }  # only customers expected today can be checked in from here
    appointment = booked.get(int_or(request.POST.get("customer")))
    if appointment is None:
        raise Http404
    try:
        visit = services.visit_check_in(
            actor=request.user, store=store, customer=appointment.customer, consultant=appointment.consultant
        )
    except (ValidationError, DomainError) as exc:
        _report_error(request, exc)
    else:
        if visit.consultant_id:
            messages.success(
                request,
                gettext("%(customer)s checked in and handed to %(consultant)s.")
                % {"customer": appointment.customer.name, "consultant": visit.consultant},
            )
        else:
            messages.success(
                request, gettext("%(customer)s checked in; waiting.") % {"customer": appointment.customer.name}
            )
    return redirect(f"{reverse('reception_desk')}?store={store.code}")


# ---------------------------------------------------------------- traffic board


@login_required
@require_GET
def traffic_board(request: HttpRequest) -> HttpResponse:
    """Today's visits live: who is in the showroom, with whom, for how long."""
    stores = _stores_or_403(request, "store.view")
    store = _pick_store(request, stores)
    with timezone.override(store.tz):
        board = selectors.board_for(request.user, store)
        template = "showroom/_board_live.html" if request.htmx else "showroom/board.html"
        context = {
            "stores": stores,
            "store": store,
            "board": board,
            "can_sell": user_can(request.user, "sales.sell", store),
            "can_report": user_can(request.user, "reports.view_store", store),
            "desk": services.runs_desk(request.user, store),
        }
        return render(request, template, context)


# ---------------------------------------------------------------- visits


@login_required
@require_GET
def visit_list(request: HttpRequest) -> HttpResponse:
    """Visits the user may see, newest first, optionally of one day."""
    stores = _stores_or_403(request, "store.view")
    store = _pick_store(request, stores)
    qs = (
        selectors.visit_visible_to(request.user)
        .filter(store=store)
        .select_related("customer", "consultant")
        .only(*selectors.BOARD_FIELDS)
    )
    day = None
    try:
        day = datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = None
    if day is not None:
        start, end = selectors.day_bounds(store, day)
        qs = qs.filter(arrived_at__gte=start, arrived_at__lt=end)
    page = keyset_page(qs, cursor=request.GET.get("after"), size=LIST_SIZE)
    full_names = selectors.sees_visitor_names(request.user, store)
    for visit in page.items:
        name = visit.customer.name if visit.customer_id else ""
        visit.visitor = name if full_names or visit.consultant_id == request.user.pk else selectors.masked_name(name)
    with timezone.override(store.tz):
        context = {"stores": stores, "store": store, "page": page, "day": day}
        return render(request, "showroom/visit_list.html", context)


def _visit_context(request: HttpRequest, visit: Visit, **forms) -> dict[str, Any]:
    user = request.user
    store = visit.store
    desk = services.runs_desk(user, store)
    serving = visit.consultant_id == user.pk
    rotation = selectors.rotation_for(store) if desk and visit.status == VisitStatus.ARRIVED else []
    found = outcomes.outcomes_for([visit])[visit.pk]
    outcome_rows = [
        {"code": code, "label": label, "done": code in found, "reported": outcomes.is_registered(code)}
        for code, label in outcomes.LABELS.items()
    ]
    can_sell = user_can(user, "sales.sell", store)
    return {
        "visit": visit,
        "store": store,
        "desk": desk,
        "serving": serving,
        "can_act": desk or serving,
        "can_sell": can_sell and (serving or user_can(user, "customers.view_store", store)),
        "can_take": can_sell and visit.status == VisitStatus.ARRIVED,
        "in_showroom": visit.status in IN_SHOWROOM,
        "rotation": rotation,
        "assign_form": forms.get("assign_form")
        or AssignForm(consultants=[e.consultant for e in rotation if e.is_free]),
        "refresh_form": forms.get("refresh_form")
        or RefreshmentForm(
            initial={
                "offered": visit.refreshments_offered,
                "refreshment": visit.refreshment,
                "rest_area": visit.rest_area,
            }
        ),
        "search_form": forms.get("search_form") or CustomerSearchForm(),
        "register_form": forms.get("register_form") or QuickRegisterForm(),
        "results": forms.get("results"),
        "search_error": forms.get("search_error"),
        "outcomes": outcome_rows,
        "waiting_minutes": _minutes(visit.waiting_seconds),
        "duration_minutes": _minutes(visit.duration_seconds),
        "needs": list(visit.needs_assessments.order_by("-created_at", "-id")[:5]),
    }


@login_required
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    with timezone.override(visit.store.tz):
        return render(request, "showroom/visit_detail.html", _visit_context(request, visit))


def _back_to_visit(visit: Visit) -> HttpResponse:
    return redirect("visit_detail", pk=visit.pk)


@login_required
@require_POST
def visit_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the visitor to the picked consultant, to the next one up, or (a consultant) take them yourself."""
    visit = _visit_or_404(request, pk)
    consultant = None
    if request.POST.get("take") == "1":
        consultant = request.user
    elif (request.POST.get("consultant") or "").isdigit():
        consultant = User.objects.filter(pk=int(request.POST["consultant"])).first()
        if consultant is None:
            raise Http404
    try:
        visit = services.visit_assign(actor=request.user, visit=visit, consultant=consultant)
    except (ValidationError, DomainError) as exc:
        _report_error(request, exc)
    else:
        messages.success(request, gettext("%(name)s takes over this visitor.") % {"name": visit.consultant})
    if request.POST.get("next") == "desk":
        return redirect(f"{reverse('reception_desk')}?store={visit.store.code}")
    return _back_to_visit(visit)


@login_required
@require_POST
def visit_leave(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    try:
        visit = services.visit_leave(actor=request.user, visit=visit)
    except (ValidationError, DomainError) as exc:
        _report_error(request, exc)
    else:
        messages.success(
            request,
            gettext("Departure recorded after %(minutes)d minutes.") % {"minutes": visit.duration_seconds // 60},
        )
    if request.POST.get("next") == "desk":
        return redirect(f"{reverse('reception_desk')}?store={visit.store.code}")
    if request.POST.get("next") == "board":
        return redirect(f"{reverse('traffic_board')}?store={visit.store.code}")
    return _back_to_visit(visit)


@login_required
@require_POST
def visit_refreshments(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    form = RefreshmentForm(request.POST)
    if form.is_valid():
        try:
            services.visit_set_refreshments(
                actor=request.user,
                visit=visit,
                offered=form.cleaned_data["offered"],
                refreshment=form.cleaned_data.get("refreshment") or "",
                rest_area=form.cleaned_data["rest_area"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            _report_error(request, exc)
            return _back_to_visit(visit)
        else:
            messages.success(request, gettext("Refreshments recorded."))
            return _back_to_visit(visit)
    with timezone.override(visit.store.tz):
        return render(
            request, "showroom/visit_detail.html", _visit_context(request, visit, refresh_form=form), status=400
        )


@login_required
@require_POST
def visit_customer_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Find the visitor among the store's customers by mobile or the one-box search (the term is POSTed)."""
    visit = _visit_or_404(request, pk)
    form = CustomerSearchForm(request.POST)
    results: list[Customer] = []
    error = None
    if form.is_valid():
        try:
            results = [
                c for c in search_customers(request.user, form.cleaned_data["q"]) if c.store_id == visit.store_id
            ]
        except SearchTooBroad as exc:
            error = exc.message
    else:
        error = gettext("Type a mobile number, a name or its pinyin.")
    context = _visit_context(request, visit, search_form=form, results=results, search_error=error)
    with timezone.override(visit.store.tz):
        if request.htmx:
            return render(request, "showroom/_customer_results.html", context)
        return render(request, "showroom/visit_detail.html", context)


@login_required
@require_POST
def visit_link_customer(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    customer = None
    if (request.POST.get("customer") or "").isdigit():
        # only a customer of the visit's store the person may see: any other id answers as a missing one (404)
        customer = customer_visible_to(request.user).filter(pk=int(request.POST["customer"]), store=visit.store).first()
    if customer is None:
        raise Http404
    try:
        services.visit_link_customer(actor=request.user, visit=visit, customer=customer)
    except (ValidationError, DomainError) as exc:
        _report_error(request, exc)
    else:
        messages.success(request, gettext("Visit linked to %(name)s.") % {"name": customer.name})
    return _back_to_visit(visit)


@login_required
@require_POST
def visit_register_customer(request: HttpRequest, pk: int) -> HttpResponse:
    """Quick-register the visitor; a known mobile links the existing customer instead of creating a duplicate."""
    visit = _visit_or_404(request, pk)
    form = QuickRegisterForm(request.POST)
    if form.is_valid():
        try:
            visit, customer, created = services.visit_register_customer(
                actor=request.user,
                visit=visit,
                name=form.cleaned_data["name"],
                mobile=form.cleaned_data["mobile"],
                consents=form.cleaned_data["consents"],
                notice_version=NOTICE_VERSION,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            _report_error(request, exc)
            return _back_to_visit(visit)
        else:
            if created:
                messages.success(
                    request, gettext("%(name)s registered and linked to the visit.") % {"name": customer.name}
                )
            else:
                messages.info(
                    request,
                    gettext("This mobile already belongs to %(name)s: the visit is linked to that customer.")
                    % {"name": customer.name},
                )
            return _back_to_visit(visit)
    with timezone.override(visit.store.tz):
        return render(
            request, "showroom/visit_detail.html", _visit_context(request, visit, register_form=form), status=400
        )


# ---------------------------------------------------------------- traffic report


@login_required
@require_GET
def traffic_report(request: HttpRequest) -> HttpResponse:
    """Walk-ins over a period: first vs return, average duration, outcomes, by consultant and by hour."""
    stores = _stores_or_403(request, "reports.view_store")
    store = _pick_store(request, stores)
    today = selectors.local_day(store)
    form = ReportForm(request.GET or None)
    date_from, date_to = today - datetime.timedelta(days=REPORT_DEFAULT_DAYS - 1), today
    if form.is_bound and form.is_valid():
        date_from = form.cleaned_data.get("date_from") or date_from
        date_to = form.cleaned_data.get("date_to") or date_to
        if date_from > date_to:
            date_from = date_to
    report = selectors.traffic_report(request.user, store, date_from, date_to)
    codes = list(report.outcome_labels)
    charts = {
        "hour": {
            "labels": [r["label"] for r in report.by_hour],
            "datasets": [{"label": gettext("Visits"), "data": [r["visits"] for r in report.by_hour]}],
        },
        "day": {
            "labels": [r["day"].strftime("%m-%d") for r in report.by_day],
            "datasets": [
                {"label": gettext("Visits"), "data": [r["visits"] for r in report.by_day]},
                {"label": gettext("First visits"), "data": [r["first"] for r in report.by_day]},
            ],
        },
        "consultant": {
            "labels": [r["label"] for r in report.by_consultant],
            "datasets": [{"label": gettext("Visits"), "data": [r["visits"] for r in report.by_consultant]}],
        },
    }
    reported = [c for c in codes if report.totals["reported"][c]]
    outcome_rows = [
        {"code": c, "label": report.outcome_labels[c], "reported": c in reported, **report.totals["outcomes"][c]}
        for c in codes
    ]
    consultant_rows = [{**r, "shares": [r["outcomes"][c]["share"] for c in reported]} for r in report.by_consultant]
    with timezone.override(store.tz):
        context = {
            "stores": stores,
            "store": store,
            "form": form,
            "report": report,
            "outcome_rows": outcome_rows,
            "consultant_rows": consultant_rows,
            "charts": charts,
        }
        return render(request, "showroom/report.html", context)


# ---------------------------------------------------------------- needs analysis


def _customer_for_sale(request: HttpRequest, customer_id: str | None) -> Customer:
    if not (customer_id or "").isdigit():
        raise Http404
    try:
        customer = customer_get(request.user, int(customer_id))
    except Customer.DoesNotExist:
        raise Http404 from None
    if customer.merged_into_id or not user_can(request.user, "sales.sell", customer.store_id):
        raise Http404
    return customer


@login_required
@require_GET
def needs_list(request: HttpRequest) -> HttpResponse:
    """Needs assessments the user may see, newest first."""
    stores = _stores_or_403(request, "sales.sell")
    qs = selectors.needs_assessment_visible_to(request.user).select_related("customer", "consultant", "store")
    # by the time it was taken (may be recorded later than a newer one), not by id (issue #10.15)
    page = keyset_page_by_time(qs, cursor=request.GET.get("after"), size=LIST_SIZE)
    for assessment in page.items:
        assessment.budget_text = budget_text(assessment)
    return render(request, "showroom/needs_list.html", {"page": page, "stores": stores})


@login_required
@require_http_methods(["GET", "POST"])
def needs_create(request: HttpRequest) -> HttpResponse:
    """The needs form, opened from a visit or a customer. Without a customer: find one first."""
    _stores_or_403(request, "sales.sell")
    customer_id = request.GET.get("customer") or request.POST.get("customer")
    if not customer_id:
        return _needs_pick_customer(request)
    customer = _customer_for_sale(request, customer_id)
    visit = None
    visit_id = request.GET.get("visit") or request.POST.get("visit")
    if (visit_id or "").isdigit():
        visit = _visit_or_404(request, int(visit_id))
    form = NeedsForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                assessment = services.needs_assessment_create(
                    actor=request.user, customer=customer, visit=visit, **form.service_fields()
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                _report_error(request, exc)
            else:
                messages.success(request, gettext("Needs analysis saved."))
                return redirect("needs_detail", pk=assessment.pk)
    context = {"form": form, "customer": customer, "visit": visit}
    return render(request, "showroom/needs_form.html", context, status=status)


def _needs_pick_customer(request: HttpRequest) -> HttpResponse:
    form = CustomerSearchForm(request.POST or None)
    results, error = [], None
    if request.method == "POST" and form.is_valid():
        try:
            results = search_customers(request.user, form.cleaned_data["q"])
        except SearchTooBroad as exc:
            error = exc.message
    return render(request, "showroom/needs_pick.html", {"form": form, "results": results, "search_error": error})


def _needs_context(request: HttpRequest, assessment: NeedsAssessment, **extra) -> dict[str, Any]:
    store = assessment.store
    needs = services.needs_from({f: getattr(assessment, f) for f in services.NEEDS_FIELDS})
    # priced for this customer, as the offer made from a row will be (issue #10.8)
    result = selectors.recommendations_for(
        request.user, store, needs, limit=RECOMMENDATIONS_SHOWN, customer=assessment.customer
    )
    rows = [as_dict(r) for r in result.results]
    for row, reason in zip(rows, order_reasons(result.results), strict=True):
        row["order_reason"] = reason
    for row, ranked in zip(rows, result.results, strict=True):
        row["price_text"] = money(ranked.trim.price)
        row["net_price_text"] = money(ranked.trim.net_price)
        row["has_discount"] = bool(ranked.trim.discount)
    advice_form = extra.get("advice_form") or AdviceForm(trim_choices=[(r["trim"], r["name"]) for r in rows])
    grades = grade_policies_for(store.pk)
    customer = assessment.customer
    return {
        "assessment": assessment,
        "budget_text": budget_text(assessment),
        "customer": customer,
        "results": rows,
        "promotions_known": result.promotions_known,
        "considered": result.considered,
        "advice_form": advice_form,
        "grade_form": extra.get("grade_form") or GradeForm(initial={"grade": assessment.proposed_grade}),
        "grades": list(grades.values()),
        "advice": selectors.recommendations_of(assessment),
        "energy_labels": [EnergyType(e).label for e in assessment.energy_types if e in EnergyType.values],
        "compare_url": reverse("trim_compare"),
    }


def _assessment_or_404(request: HttpRequest, pk: int) -> NeedsAssessment:
    try:
        return selectors.needs_assessment_get(request.user, pk)
    except NeedsAssessment.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def needs_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The needs taken, the proposed intent grade to confirm, and the recommended trims with their reasons."""
    assessment = _assessment_or_404(request, pk)
    try:
        context = _needs_context(request, assessment)
    except Store.DoesNotExist:
        raise Http404 from None
    return render(request, "showroom/needs_detail.html", context)


@login_required
@require_POST
def needs_confirm_grade(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment_or_404(request, pk)
    try:
        services.needs_assessment_confirm_grade(
            actor=request.user, assessment=assessment, grade=request.POST.get("grade") or None
        )
    except (ValidationError, DomainError) as exc:
        _report_error(request, exc)
    else:
        messages.success(request, gettext("Intent grade confirmed."))
    return redirect("needs_detail", pk=assessment.pk)


@login_required
@require_POST
def needs_record_advice(request: HttpRequest, pk: int) -> HttpResponse:
    """Record which trims the consultant recommended and what they said."""
    assessment = _assessment_or_404(request, pk)
    ids = [int(v) for v in request.POST.getlist("trims") if v.isdigit()]
    try:
        services.recommendation_record(
            actor=request.user, assessment=assessment, trim_ids=ids, notes=request.POST.get("notes", "").strip()
        )
    except (ValidationError, DomainError) as exc:
        _report_error(request, exc)
    else:
        messages.success(request, gettext("Advice recorded."))
    return redirect("needs_detail", pk=assessment.pk)


# ---------------------------------------------------------------- presentations


@login_required
@require_http_methods(["GET", "POST"])
def presentation_create(request: HttpRequest) -> HttpResponse:
    """Record a six-point walkaround for a customer."""
    _stores_or_403(request, "sales.sell")
    customer = _customer_for_sale(request, request.GET.get("customer") or request.POST.get("customer"))
    visit = None
    visit_id = request.GET.get("visit") or request.POST.get("visit")
    if (visit_id or "").isdigit():
        visit = _visit_or_404(request, int(visit_id))
    form = PresentationForm(request.POST or None, trim_choices=_trim_choices(customer.store))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            trim = Trim.objects.filter(pk=data["trim"]).first() if data.get("trim") else None
            try:
                presentation = services.presentation_record(
                    actor=request.user,
                    customer=customer,
                    visit=visit,
                    trim=trim,
                    points_covered=data["points_covered"],
                    highlights=data["highlights"],
                    questions=data["questions"],
                    objections=data["objections"],
                    materials=data["materials"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                _report_error(request, exc)
            else:
                messages.success(request, gettext("Walkaround recorded."))
                return redirect("presentation_detail", pk=presentation.pk)
    context = {"form": form, "customer": customer, "visit": visit, "points": WalkaroundPoint.choices}
    return render(request, "showroom/presentation_form.html", context, status=status)


@login_required
@require_GET
def presentation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        presentation = selectors.presentation_get(request.user, pk)
    except Presentation.DoesNotExist:
        raise Http404 from None
    covered = set(presentation.points_covered)
    points = [{"code": c, "label": label, "covered": c in covered} for c, label in WalkaroundPoint.choices]
    materials = [str(Material(m).label) for m in presentation.materials if m in Material.values]
    context = {"presentation": presentation, "points": points, "materials": materials}
    return render(request, "showroom/presentation_detail.html", context)


# ---------------------------------------------------------------- comparison


def _comparison(request: HttpRequest):
    stores = _stores_or_403(request, "store.view")
    store = _pick_store(request, stores)
    ids = [int(v) for v in request.GET.getlist("trims") if v.isdigit()]
    comparison, error = None, None
    if ids:
        try:
            comparison = selectors.comparison_for(request.user, store, ids)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return stores, store, ids, comparison, error


@login_required
@require_GET
def trim_compare(request: HttpRequest) -> HttpResponse:
    """2–4 trims side by side, differences highlighted; pick them with up to four menus."""
    stores, store, ids, comparison, error = _comparison(request)
    choices = _trim_choices(store)
    slots = (ids + [None] * 4)[:4]
    context = {
        "stores": stores,
        "store": store,
        "comparison": comparison,
        "error": error,
        "choices": choices,
        "slots": slots,
        "pdf_query": request.GET.urlencode(),
    }
    return render(request, "showroom/compare.html", context, status=400 if error else 200)


@login_required
@require_GET
def trim_compare_pdf(request: HttpRequest) -> HttpResponse:
    """The same comparison as a PDF with Chinese text."""
    _stores, store, _ids, comparison, error = _comparison(request)
    if comparison is None:
        messages.error(request, error or gettext("Choose between 2 and 4 different trims to compare."))
        return redirect(f"{reverse('trim_compare')}?store={store.code}")
    content = pdf.comparison_pdf(comparison, prepared_by=str(request.user), now=timezone.now())
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="trim-comparison.pdf"'
    return response
