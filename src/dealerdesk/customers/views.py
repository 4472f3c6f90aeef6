"""Customer pages (standard ch. 2): the list, the one-box search, registering, the customer card and its forms.

Reads go through selectors (not visible → 404), writes through services; a ValidationError re-renders the
page with the errors under the fields (400), a refused business move is shown as a message, success redirects.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, OuterRef, Prefetch, Q, Subquery, Value, prefetch_related_objects
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.core.audit import target_url
from dealerdesk.core.errors import DomainError, NotPermitted
from dealerdesk.core.models import AuditEntry
from dealerdesk.core.pagination import keyset_page

from . import privacy, selectors, services, visibility
from .choices import (
    STAGE_MOVES,
    ConsentChannel,
    ConsentPurpose,
    FollowUpChannel,
    FollowUpOutcome,
    FollowUpPurpose,
    FollowUpStatus,
    LossReason,
    RequestStatus,
    Stage,
)
from .forms import (
    NOTICE_VERSION,
    ContactPointForm,
    CustomerCreateForm,
    CustomerEditForm,
    FollowUpCompleteForm,
    GradeForm,
    LossRequestForm,
    NeedForm,
    NoteForm,
    ReassignForm,
    VehicleForm,
    apply_errors,
    consultants_of,
)
from .lead_sources import lead_source_choices
from .models import Consent, Customer, CustomerNote, FollowUp, LossRequest, PurchaseNeed
from .records import customer_records
from .search import SearchLimited, SearchTooBroad, search_customers

LIST_SIZE = 50
TIMELINE_SIZE = 60
NOTES_SIZE = 30
FOLLOW_UPS_SIZE = 20
# Only these audit diff keys are shown in the timeline: the others may hold personal data (mobile, name).
TIMELINE_KEYS: dict[str, type | None] = {
    "intent_grade": None,
    "grade": None,
    "stage": Stage,
    "outcome": FollowUpOutcome,
    "channel": FollowUpChannel,
    "reason": LossReason,
    "purpose": ConsentPurpose,
}


# ---------------------------------------------------------------- helpers


def _url_or_none(name: str) -> str | None:
    """A URL of a page another part of the app may not have wired yet."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _display_mobile(value: str) -> str:
    return value[3:] if value.startswith("+86") else value


def _customer_or_404(user, pk: int) -> Customer:
    """A visible live customer (not a merged alias) for a write; anything else is not found."""
    try:
        customer = selectors.customer_get(user, pk)
    except Customer.DoesNotExist:
        raise Http404 from None
    if customer.merged_into_id:
        raise Http404
    return customer


def _shown_in_lists(user, customers) -> None:
    """What a list or search row shows of each customer, by the field-visibility policy: `mobile_masked` and
    `shown` ({field: shown?}, for the cells the role may not see)."""
    for customer in customers:
        customer.mobile_masked = visibility.value(user, visibility.CUSTOMER, customer, "mobile") or ""
        customer.shown = visibility.shown(user, visibility.CUSTOMER, customer)


def _may_edit(user, customer: Customer) -> bool:
    """Whether the edit actions are shown: the service's own rule, asked without writing anything."""
    try:
        services._check_can_edit(user, customer)
    except NotPermitted:
        return False
    return True


# reasons the services write themselves (not chosen by a person), shown in the reader's language (issue #10.12)
SYSTEM_REASONS = {"deposit paid": gettext_lazy("deposit paid")}


def _choice_label(choices: type | None, value: Any, key: str = "") -> str:
    if value in (None, ""):
        return "—"
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    if key == "reason" and value in SYSTEM_REASONS:
        return str(SYSTEM_REASONS[value])
    return str(value)


def _timeline_summary(diff: dict) -> str:
    """The diff's keys of TIMELINE_KEYS, already cut by the policy (`visibility.audit_diff`), for people."""
    parts = []
    for key, choices in TIMELINE_KEYS.items():
        change = diff.get(key) if isinstance(diff, dict) else None
        if not isinstance(change, list) or len(change) != 2:
            continue
        old, new = change
        if old == new:
            continue
        if key == "purpose" and new in FollowUpPurpose.values and new not in ConsentPurpose.values:
            choices = FollowUpPurpose
        if old in (None, ""):
            parts.append(_choice_label(choices, new, key))
        elif new in (None, ""):
            parts.append(_choice_label(choices, old, key))
        else:
            parts.append(f"{_choice_label(choices, old, key)} → {_choice_label(choices, new, key)}")
    return " · ".join(parts)


def _timeline(user, customer: Customer, follow_ups: list[FollowUp]) -> list[AuditEntry]:
    """Every audited step about the customer, of every app (test drives, orders…), newest first (one query).

    Entries written before audit rows carried the customer are found by target, as before.
    """
    q = Q(customer_id=customer.pk) | Q(target_type="customers.customer", target_id=str(customer.pk))
    follow_up_ids = [str(f.pk) for f in follow_ups]
    if follow_up_ids:
        q |= Q(target_type="customers.followup", target_id__in=follow_up_ids)
    entries = list(AuditEntry.objects.filter(q).select_related("actor").order_by("-created_at", "-id")[:TIMELINE_SIZE])
    for entry in entries:
        entry.summary = _timeline_summary(visibility.audit_diff(user, customer, entry.diff or {}))
        entry.url = target_url(entry) if entry.target_type != "customers.customer" else ""
    return entries


def _grade_codes(stores) -> list[tuple[str, str]]:
    codes: dict[str, str] = {}
    for store in stores:
        for code, policy in selectors.grade_policies_for(store.pk).items():
            codes.setdefault(code, _(policy.label))
    return list(codes.items())


# ---------------------------------------------------------------- list and search


def _list_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    stores = list(store_visible_to(user))
    filters = {k: request.GET.get(k, "").strip() for k in ("owner", "grade", "stage", "source", "store")}
    qs = selectors.customer_visible_to(user).select_related("owner", "store")
    store = next((s for s in stores if s.code == filters["store"]), None)
    if store is not None:
        qs = qs.filter(store=store)
    if filters["owner"].isdigit():
        qs = qs.filter(owner_id=int(filters["owner"]))
    elif filters["owner"] == "none":
        qs = qs.filter(owner__isnull=True)
    if filters["grade"]:
        qs = qs.filter(intent_grade=filters["grade"][:2])
    if filters["stage"] in Stage.values:
        qs = qs.filter(stage=filters["stage"])
    sources = lead_source_choices([s.group_id for s in stores])
    if filters["source"] and filters["source"] in dict(sources):
        qs = qs.filter(source=filters["source"])
    page = keyset_page(qs, cursor=request.GET.get("after"), size=LIST_SIZE)
    _shown_in_lists(user, page.items)
    scope = [store] if store is not None else stores
    sees_store = any(user_can(user, "customers.view_store", s) for s in scope)
    owners = consultants_of(user, scope) if sees_store else []
    can_assign = any(user_can(user, "customers.assign", s) for s in scope)
    reassign_url = _url_or_none("customers_reassign") if can_assign else None
    return {
        "page": page,
        "filters": filters,
        "stores": stores,
        "owners": owners,
        "grades": _grade_codes(scope),
        "stages": Stage.choices,
        "sources": sources,
        "show_owner_filter": sees_store,
        "reassign_url": reassign_url,
        "reassign_form": ReassignForm(owners=owners) if reassign_url else None,
        "can_create": any(user_can(user, "customers.edit", s) for s in stores),
        "now": timezone.now(),
    }


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """Customers the user may see, newest first, 50 a page, with filters."""
    return render(request, "customers/list.html", _list_context(request))


@login_required
@require_POST
def customer_search(request: HttpRequest) -> HttpResponse:
    """One-box search. The term is POSTed and never written to a URL or a log.

    Too many searches by a whole mobile (`search.FULL_MOBILE_LIMITS`) are refused with the reason in place of the
    results: 429 with Retry-After for the page; the htmx partial answers 200 with the same header, because htmx
    swaps only successful answers into the page.
    """
    query = request.POST.get("q", "")
    results: list[Customer] = []
    error = None
    limited: SearchLimited | None = None
    try:
        results = search_customers(request.user, query)
    except SearchLimited as exc:
        error, limited = exc.message, exc
    except SearchTooBroad as exc:
        error = exc.message
    _shown_in_lists(request.user, results)
    context = {"results": results, "search_error": error, "searched": True, "q": query}
    if request.htmx:
        response = render(request, "customers/_search_results.html", context)
    else:
        status = limited.status if limited else 200
        response = render(request, "customers/list.html", {**_list_context(request), **context}, status=status)
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return response


# ---------------------------------------------------------------- register


def _is_quick_register(user, stores) -> bool:
    """Receptionists get the quick form: name, mobile, consultant and consents."""
    return not any(user_can(user, "sales.sell", s) or user_can(user, "customers.view_store", s) for s in stores)


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    """Register a customer (a receptionist's quick-register uses the same page)."""
    user = request.user
    stores = [s for s in store_visible_to(user) if user_can(user, "customers.edit", s)]
    if not stores:
        raise PermissionDenied
    quick = _is_quick_register(user, stores)
    owners = consultants_of(user, stores)
    initial = {"owner": user.pk} if any(u.pk == user.pk for u in owners) else {}
    form = CustomerCreateForm(request.POST or None, stores=stores, owners=owners, quick=quick, initial=initial)
    duplicate = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                customer = services.customer_create(
                    actor=user,
                    store=form.chosen_store(),
                    owner=data.get("owner"),
                    consents=data.get("consents") or [],
                    consent_channel=data.get("consent_channel") or ConsentChannel.IN_PERSON,
                    notice_version=data.get("notice_version") or NOTICE_VERSION,
                    **form.service_fields(),
                )
            except services.DuplicateCustomer as exc:
                # The service decided what the user may be told (docs/decisions/0013): the existing customer is
                # linked only when it is named, i.e. when the user may open it.
                duplicate = {
                    "message": exc.message,
                    "url": reverse("customer_detail", args=[exc.existing.pk]) if exc.disclosed else None,
                }
                status = 409
            except ValidationError as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, str(exc.message))
                else:
                    messages.error(request, exc.message)
            else:
                if quick:
                    return redirect(f"{reverse('customer_create')}?registered={customer.pk}")
                if not selectors.customer_visible_to(user).filter(pk=customer.pk).exists():
                    # Registered for a colleague: the card is theirs now, so go back to the list.
                    messages.success(
                        request,
                        _("The customer is registered and assigned to %(owner)s.") % {"owner": customer.owner},
                    )
                    return redirect("customer_list")
                messages.success(request, _("The customer is registered."))
                return redirect("customer_detail", pk=customer.pk)
    registered = None
    wanted = request.GET.get("registered", "")
    if request.method == "GET" and wanted.isdigit():
        registered = selectors.customer_visible_to(user).select_related("owner").filter(pk=int(wanted)).first()
        if registered is not None:
            _shown_in_lists(user, [registered])
    context = {"form": form, "quick": quick, "duplicate": duplicate, "registered": registered}
    return render(request, "customers/create.html", context, status=status)


# ---------------------------------------------------------------- the customer card


def _detail_response(
    request: HttpRequest,
    pk: int,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
    revealed: dict[str, str] | None = None,
) -> HttpResponse:
    """The customer card; `bound` carries forms with errors to show in place of fresh ones."""
    user = request.user
    bound = bound or {}
    customer = _load_card(user, pk)
    if customer.merged_into_id:
        return redirect("customer_detail", pk=customer.merged_into_id)
    # One policy decides every fact on the card (`shown`); `full` is the card's sections (needs, follow-ups, notes,
    # records, history), which the reduced card of reception leaves out.
    shown = visibility.shown(user, visibility.CUSTOMER, customer)
    full = shown["history"]
    context: dict[str, Any] = {
        "customer": customer,
        "shown": shown,
        "full": full,
        "mobile_masked": visibility.value(user, visibility.CUSTOMER, customer, "mobile") or "",
        "id_masked": visibility.value(user, visibility.CUSTOMER, customer, "id_number") or "",
        "can_reveal": full and privacy.can_reveal(user, customer),
        "revealed": revealed or {},
        "now": timezone.now(),
        "open_section": bound.get("section", ""),
    }
    if full:
        context.update(_full_card_context(user, customer, bound))
    return render(request, "customers/detail.html", context, status=status)


def _load_card(user, pk: int) -> Customer:
    """The visible customer (aliases included) with its pending loss request folded into the same query."""
    pending = LossRequest.objects.filter(customer=OuterRef("pk"), status=RequestStatus.PENDING).order_by("-id")
    requested_by = Coalesce(NullIf(F("requested_by__full_name"), Value("")), F("requested_by__username"))
    qs = (
        selectors.customer_visible_to(user, include_aliases=True)
        .select_related("owner", "store")
        .annotate(
            pending_loss_reason=Subquery(pending.values("reason")[:1]),
            pending_loss_at=Subquery(pending.values("requested_at")[:1]),
            pending_loss_by=Subquery(pending.annotate(who=requested_by).values("who")[:1]),
        )
    )
    try:
        return qs.get(pk=pk)
    except Customer.DoesNotExist:
        raise Http404 from None


def _full_card_context(user, customer: Customer, bound: dict) -> dict[str, Any]:
    """Everything of the full card in a fixed number of queries (one per related list)."""
    prefetch_related_objects(
        [customer],
        "contact_points",
        "vehicles",
        Prefetch("needs", queryset=PurchaseNeed.objects.order_by("-created_at", "-id")),
        Prefetch("consents", queryset=Consent.objects.order_by("purpose", "-granted_at", "-id")),
    )
    policies = selectors.grade_policies_for(customer.store_id)
    follow_ups = list(
        selectors.followup_visible_to(user)
        .filter(customer_id=customer.pk)
        .select_related(None)
        .select_related("assignee")
        .order_by("-due_at", "-id")[:FOLLOW_UPS_SIZE]
    )
    open_follow_ups = sorted((f for f in follow_ups if f.status == FollowUpStatus.OPEN), key=lambda f: (f.due_at, f.pk))
    bound_fid, bound_form = bound.get("followup", (None, None))
    may_grade = _may_edit(user, customer)
    follow_up_forms = []
    for f in open_follow_ups:
        f.customer = customer  # the completion rule reads it: no query per row
        # the complete form only where the one completion rule lets this user record it (a care call: the care desk)
        f.may_complete = services.followup_may_complete(user, f)
        f.is_care_call = services.is_care_call(f)
        form = bound_form if f.pk == bound_fid else None
        if form is None and f.may_complete:
            form = FollowUpCompleteForm(policies=policies, prefix=f"fu{f.pk}", care=f.is_care_call, may_grade=may_grade)
        follow_up_forms.append((f, form))
    needs = list(customer.needs.all())
    current_need = next((n for n in needs if n.is_current), None)
    consents = list(customer.consents.all())
    consent_rows = []
    for value, label in ConsentPurpose.choices:
        rows = [c for c in consents if c.purpose == value]
        active = next((c for c in rows if c.withdrawn_at is None), None)
        consent_rows.append({"purpose": value, "label": label, "active": active, "last": rows[0] if rows else None})
    can_edit = may_grade
    pending_loss = None
    if customer.pending_loss_reason:
        pending_loss = {
            "reason": _choice_label(LossReason, customer.pending_loss_reason),
            "at": customer.pending_loss_at,
            "by": customer.pending_loss_by,
        }
    return {
        "policies": policies,
        "grade_label": _(policies[customer.intent_grade].label) if customer.intent_grade in policies else "",
        "follow_up_forms": follow_up_forms,
        "follow_up_history": [f for f in follow_ups if f.status != FollowUpStatus.OPEN],
        "current_need": current_need,
        "need_history": [n for n in needs if n is not current_need],
        "vehicles": list(customer.vehicles.all()),
        "contact_points": list(customer.contact_points.all()),
        "consent_rows": consent_rows,
        "consent_error": bound.get("consent_error"),
        "notice_version": NOTICE_VERSION,
        "notes": list(
            CustomerNote.objects.filter(customer=customer)
            .select_related("author")
            .order_by("-created_at", "-id")[:NOTES_SIZE]
        ),
        "timeline": _timeline(user, customer, follow_ups),
        "pending_loss": pending_loss,
        "can_edit": can_edit,
        "can_sell": can_edit and user_can(user, "sales.sell", customer),
        "can_request_lost": can_edit and Stage.LOST in STAGE_MOVES.get(customer.stage, set()) and not pending_loss,
        "grade_form": bound.get("grade") or GradeForm(policies=policies, initial={"grade": customer.intent_grade}),
        "note_form": bound.get("note") or NoteForm(),
        "loss_form": bound.get("lost") or LossRequestForm(),
        "need_form": bound.get("need") or NeedForm(),
        "vehicle_form": bound.get("vehicle") or VehicleForm(),
        "contact_form": bound.get("contact") or ContactPointForm(),
    }


@login_required
def customer_records_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's test drives, orders, deliveries and registrations (loaded into the card by htmx, so the card
    itself stays at a fixed number of queries)."""
    customer = _customer_or_404(request.user, pk)
    if not visibility.sees(request.user, visibility.CUSTOMER, customer, "history"):
        raise PermissionDenied  # the reduced card has no records section
    if not request.htmx:
        return redirect(f"{reverse('customer_detail', args=[customer.pk])}#records")
    return render(
        request, "customers/_records.html", {"customer": customer, "records": customer_records(request.user, customer)}
    )


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer card; a merged alias redirects to the surviving record."""
    return _detail_response(request, pk)


def _post_form(
    request: HttpRequest,
    pk: int,
    *,
    section: str,
    make_form: Callable[[Customer], forms.Form],
    act: Callable[[Customer, dict], str],
    bound_key: Callable[[forms.Form], Any] | None = None,
) -> HttpResponse:
    """The shape of every small form on the card: validate, call the service, PRG or re-render with errors."""
    customer = _customer_or_404(request.user, pk)
    form = make_form(customer)
    if form.is_valid():
        try:
            success = act(customer, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(f"{reverse('customer_detail', args=[customer.pk])}#{section}")
        else:
            messages.success(request, success)
            return redirect(f"{reverse('customer_detail', args=[customer.pk])}#{section}")
    value = bound_key(form) if bound_key else form
    return _detail_response(request, customer.pk, bound={section: value, "section": section}, status=400)


@login_required
@require_POST
def customer_grade(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the intent grade; the next follow-up is rescheduled by the service."""

    def act(customer: Customer, data: dict) -> str:
        services.customer_set_grade(actor=request.user, customer=customer, grade=data["grade"])
        return _("The intent grade is now %(grade)s.") % {"grade": data["grade"]}

    return _post_form(
        request,
        pk,
        section="grade",
        make_form=lambda c: GradeForm(request.POST, policies=selectors.grade_policies_for(c.store_id)),
        act=act,
    )


@login_required
@require_POST
def followup_complete(request: HttpRequest, pk: int, fid: int) -> HttpResponse:
    """Record a follow-up as done; the service opens the next one."""
    customer = _customer_or_404(request.user, pk)
    follow_up = selectors.followup_visible_to(request.user).filter(pk=fid, customer_id=customer.pk).first()
    if follow_up is None:
        raise Http404

    def act(customer: Customer, data: dict) -> str:
        _done, following = services.followup_complete(
            actor=request.user,
            follow_up=follow_up,
            channel=data["channel"],
            outcome=data["outcome"],
            notes=data["comment"] if "comment" in data else data["notes"],
            new_grade=data.get("new_grade") or None,
            next_due_at=data["next_due_at"],
            score=data.get("score"),
            next_step=data.get("next_step", ""),
        )
        if following is None:
            return _("The follow-up is recorded.")
        when = date_format(timezone.localtime(following.due_at), "Y-m-d H:i")
        return _("The follow-up is recorded. Next follow-up: %(when)s.") % {"when": when}

    return _post_form(
        request,
        pk,
        section="followup",
        make_form=lambda c: FollowUpCompleteForm(
            request.POST,
            policies=selectors.grade_policies_for(c.store_id),
            prefix=f"fu{fid}",
            care=services.is_care_call(follow_up),
            may_grade=_may_edit(request.user, c),
        ),
        act=act,
        bound_key=lambda form: (follow_up.pk, form),
    )


@login_required
@require_POST
def customer_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a shared note; @username mentions notify colleagues."""

    def act(customer: Customer, data: dict) -> str:
        services.note_add(actor=request.user, customer=customer, body=data["body"])
        return _("The note is saved.")

    return _post_form(request, pk, section="note", make_form=lambda c: NoteForm(request.POST), act=act)


@login_required
@require_POST
def customer_request_lost(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask a manager to mark the prospect lost (战败)."""

    def act(customer: Customer, data: dict) -> str:
        services.customer_request_lost(
            actor=request.user,
            customer=customer,
            reason=data["reason"],
            notes=data["notes"],
            competitor=data["competitor"],
        )
        return _("The loss request is sent to the sales manager for approval.")

    return _post_form(request, pk, section="lost", make_form=lambda c: LossRequestForm(request.POST), act=act)


@login_required
@require_POST
def customer_need(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the current purchase needs (the previous ones stay as history)."""

    def act(customer: Customer, data: dict) -> str:
        services.need_record(actor=request.user, customer=customer, **data)
        return _("The purchase needs are recorded.")

    return _post_form(request, pk, section="need", make_form=lambda c: NeedForm(request.POST), act=act)


@login_required
@require_POST
def customer_vehicle(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a vehicle the customer owns; plate and VIN are checked by the service."""

    def act(customer: Customer, data: dict) -> str:
        fields = {k: v for k, v in data.items() if k not in ("brand", "plate", "vin") and v not in ("", None)}
        services.vehicle_add(
            actor=request.user,
            customer=customer,
            brand=data["brand"],
            plate=data["plate"],
            vin=data["vin"],
            **fields,
        )
        return _("The vehicle is added.")

    return _post_form(request, pk, section="vehicle", make_form=lambda c: VehicleForm(request.POST), act=act)


@login_required
@require_POST
def customer_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """Add another way to reach the customer."""

    def act(customer: Customer, data: dict) -> str:
        services.contact_point_add(
            actor=request.user, customer=customer, kind=data["kind"], value=data["value"], label=data["label"]
        )
        return _("The contact method is added.")

    return _post_form(request, pk, section="contact", make_form=lambda c: ContactPointForm(request.POST), act=act)


@login_required
@require_POST
def customer_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Give or withdraw the customer's consent for one purpose."""
    customer = _customer_or_404(request.user, pk)
    purpose = request.POST.get("purpose", "")
    action = request.POST.get("action", "")
    target = f"{reverse('customer_detail', args=[customer.pk])}#consents"
    try:
        if action == "grant":
            services.consent_grant(
                actor=request.user,
                customer=customer,
                purpose=purpose,
                channel=request.POST.get("channel") or ConsentChannel.IN_PERSON,
                notice_version=request.POST.get("notice_version") or NOTICE_VERSION,
            )
            messages.success(request, _("The consent is recorded."))
        elif action == "withdraw":
            services.consent_withdraw(actor=request.user, customer=customer, purpose=purpose)
            messages.success(request, _("The consent is withdrawn."))
        else:
            raise ValidationError({"action": [_("Choose whether to give or to withdraw the consent.")]})
    except ValidationError as exc:
        return _detail_response(
            request, customer.pk, bound={"consent_error": exc.messages, "section": "consents"}, status=400
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(target)


@login_required
@require_POST
def customer_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """The full mobile or ID number for a permitted role; every reveal is written to the access log."""
    customer = _customer_or_404(request.user, pk)
    try:
        value = privacy.customer_reveal(actor=request.user, customer=customer, field=field)
    except DomainError as exc:
        if request.htmx:
            return render(request, "customers/_revealed.html", {"error": exc.message}, status=exc.status)
        messages.error(request, exc.message)
        return redirect("customer_detail", pk=customer.pk)
    shown = _display_mobile(value) if field == "mobile" else value
    if request.htmx:
        return render(request, "customers/_revealed.html", {"value": shown, "field": field})
    return _detail_response(request, customer.pk, revealed={field: shown})


# ---------------------------------------------------------------- edit


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change basic information through the service (which audits it)."""
    customer = _customer_or_404(request.user, pk)
    if not _may_edit(request.user, customer):
        raise PermissionDenied
    form = CustomerEditForm(
        request.POST or None,
        initial=CustomerEditForm.initial_for(customer),
        group_id=customer.store.group_id,
        current_source=customer.source,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.customer_update(actor=request.user, customer=customer, **form.service_fields())
            except ValidationError as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, str(exc.message))
                else:
                    messages.error(request, exc.message)
            else:
                messages.success(request, _("The changes are saved."))
                return redirect("customer_detail", pk=customer.pk)
    context = {
        "form": form,
        "customer": customer,
        "mobile_masked": privacy.masked_mobile(customer),
        "id_masked": privacy.masked_id_number(customer),
    }
    return render(request, "customers/edit.html", context, status=status)
