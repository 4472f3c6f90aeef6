"""Offer and promotion pages: the list, the builder with live recalculation, the offer with its versions and the
manager's decision, the PDF, and the store administrator's promotions and offer rules.

Reads go through selectors (not visible → 404), writes through services; a ValidationError re-renders the page with
the messages under the fields (400); a refused move is shown as a message.
"""

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.roles import Role
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.core.errors import DomainError
from dealerdesk.core.pagination import keyset_page
from dealerdesk.customers.models import Customer
from dealerdesk.customers.search import SearchTooBroad, search_customers
from dealerdesk.customers.selectors import customer_visible_to

from . import engine, selectors, services
from .choices import OFFER_MOVES, OfferStatus, ServiceKind
from .forms import GROUP_WIDE, DecisionForm, OfferPolicyForm, PromotionForm, apply_errors, parse_builder
from .models import Offer, Promotion
from .pdf import offer_pdf

LIST_SIZE = 50
# Bad input the builder can still price around, to keep the promotions on screen.
RETRYABLE = frozenset({"promotions", "extra_discount", "services"})
RECENT_CUSTOMERS = 30


def _selling_stores(user) -> list:
    return [s for s in store_visible_to(user) if user_can(user, "sales.sell", s)]


def _managed_stores(user) -> list:
    return [s for s in store_visible_to(user) if user_can(user, "store.manage", s)]


# ---------------------------------------------------------------- list


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    """My offers (a manager: the store's), newest first, 50 a page."""
    user = request.user
    stores = list(store_visible_to(user))
    if not any(user_can(user, "sales.sell", s) or user_can(user, "sales.approve_discount", s) for s in stores):
        raise PermissionDenied
    qs = selectors.offer_list_for(user)
    status = request.GET.get("status", "")
    if status in OfferStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("mine") == "1":
        qs = qs.filter(consultant=user)
    page = keyset_page(qs, cursor=request.GET.get("after"), size=LIST_SIZE)
    manages = any(user_can(user, "sales.approve_discount", s) for s in stores)
    context = {
        "page": page,
        "statuses": OfferStatus.choices,
        "status": status,
        "mine": request.GET.get("mine") == "1",
        "manages": manages,
        "can_create": any(user_can(user, "sales.sell", s) for s in stores),
    }
    return render(request, "offers/list.html", context)


# ---------------------------------------------------------------- the builder


def _builder_customer(user, pk: int) -> Customer:
    customer = customer_visible_to(user).select_related("store", "store__group").filter(pk=pk).first()
    if customer is None:
        raise Http404
    if not user_can(user, "sales.sell", customer.store):
        raise PermissionDenied
    return customer


def _choices_context(trim_id: int | None, data: dict) -> dict[str, Any]:
    choices = selectors.trim_choices(trim_id) if trim_id else {"colours": [], "options": []}
    return {
        **choices,
        "rendered_trim": trim_id or "",
        "chosen_colour": data.get("colour"),
        "chosen_options": set(data.get("options") or []),
    }


def _preview_context(user, customer: Customer, data: dict, parse_errors: dict) -> dict[str, Any]:
    """The live part of the builder: promotions with reasons and the price breakdown, or what is wrong."""
    if parse_errors:
        return {"errors": parse_errors}
    if data.get("trim") is None:
        return {"errors": {}, "empty": True}
    request = services.request_from_data(data)
    context = services.context_for(request, customer)
    errors: dict[str, list[str]] = {}
    try:
        quote = services.offer_quote(actor=user, store=customer.store, customer_context=context, request=request)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        if not set(errors) <= RETRYABLE:
            return {"errors": errors}
        # Still show the promotions (so a wrong pick can be undone), priced without the refused parts.
        fallback = replace(request, promotion_ids=None, extra_discount=None, services=())
        quote = services.offer_quote(actor=user, store=customer.store, customer_context=context, request=fallback)
        picked = set(request.promotion_ids or ()) if request.promotion_ids is not None else set(quote.combination.ids)
        return {
            "promotions": engine.eligibility_display(engine.eligibility_rows(quote.judgements, picked)),
            "chosen": picked,
            "is_best": False,
            "invalid": True,
            "manual": request.promotion_ids is not None,
            "best_benefit": quote.best.benefit,
            "benefit": quote.combination.benefit,
            "errors": errors,
        }
    chosen = set(quote.combination.ids)
    best = set(quote.best.ids)
    rows = engine.eligibility_display(engine.eligibility_rows(quote.judgements, chosen))
    return {
        "quote": quote,
        "promotions": rows,
        "chosen": chosen,
        "is_best": chosen == best,
        "manual": quote.manual,
        "best_benefit": quote.best.benefit,
        "benefit": quote.combination.benefit,
        "errors": {},
    }


def _builder_render(
    request: HttpRequest,
    customer: Customer,
    data: dict,
    *,
    parse_errors: dict | None = None,
    errors: dict | None = None,
    offer: Offer | None = None,
    status: int = 200,
) -> HttpResponse:
    preview = _preview_context(request.user, customer, data, parse_errors or {})
    if errors:
        preview["errors"] = {**preview.get("errors", {}), **errors}
    services_chosen = {s["kind"]: s["amount"] for s in data.get("services") or []}
    context = {
        "customer": customer,
        "offer": offer,
        "data": data,
        "trims": selectors.trims_for_offer(customer.store),
        "services": [
            (value, label, value in services_chosen, services_chosen.get(value, ""))
            for value, label in ServiceKind.choices
        ],
        "policy": selectors.offer_policy_for(customer.store),
        "may_approve": user_can(request.user, "sales.approve_discount", customer.store),
        **_choices_context(data.get("trim"), data),
        **preview,
    }
    return render(request, "offers/builder.html", context, status=status)


def _initial_data(customer: Customer) -> dict:
    context = services.customer_context_for(customer)
    return {
        "customer": customer.pk,
        "trim": None,
        "options": [],
        "services": [],
        "promotions": None,
        "trade_in": context.trade_in,
        "loan": context.loan,
        "first_car": context.first_car,
        "city": context.city,
    }


def _choose_customer(request: HttpRequest) -> HttpResponse:
    """Step one of a new offer: pick the customer (recent ones, or the one-box search, POSTed)."""
    user = request.user
    stores = _selling_stores(user)
    if not stores:
        raise PermissionDenied
    results, error, query = None, None, ""
    if request.method == "POST":
        query = request.POST.get("q", "")
        try:
            results = [c for c in search_customers(user, query) if c.store_id in {s.pk for s in stores}]
        except SearchTooBroad as exc:
            error = exc.message
    recent = list(
        customer_visible_to(user).filter(store__in=stores).select_related("store").order_by("-id")[:RECENT_CUSTOMERS]
    )
    context = {"recent": recent, "results": results, "search_error": error, "q": query}
    return render(request, "offers/choose_customer.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def offer_create(request: HttpRequest) -> HttpResponse:
    """The offer builder for a customer; saving makes version 1."""
    wanted = request.GET.get("customer", "") or request.POST.get("customer", "")
    if not wanted.isdigit() or (request.method == "POST" and "q" in request.POST):
        return _choose_customer(request)
    customer = _builder_customer(request.user, int(wanted))
    if request.method == "GET":
        initial = _initial_data(customer)
        if request.GET.get("trim", "").isdigit():  # from a recommendation: priced as the recommendation said
            initial["trim"] = int(request.GET["trim"])
        return _builder_render(request, customer, initial)
    data, parse_errors = parse_builder(request.POST)
    data["customer"] = customer.pk
    if parse_errors:
        return _builder_render(request, customer, data, parse_errors=parse_errors, status=400)
    try:
        offer = services.offer_create(actor=request.user, customer=customer, request=services.request_from_data(data))
    except ValidationError as exc:
        return _builder_render(
            request,
            customer,
            data,
            errors=exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages},
            status=400,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _builder_render(request, customer, data, status=exc.status)
    _saved_message(request, offer)
    return redirect("offer_detail", pk=offer.pk)


def _saved_message(request: HttpRequest, offer: Offer) -> None:
    if offer.status == OfferStatus.PENDING_APPROVAL:
        messages.warning(request, _("The offer is saved and waits for a sales manager's approval."))
    else:
        messages.success(request, _("The offer is saved."))


@login_required
@require_POST
def offer_preview(request: HttpRequest) -> HttpResponse:
    """Live recalculation (htmx): promotions with reasons and the breakdown; new colour/option choices on a new trim."""
    data, parse_errors = parse_builder(request.POST)
    if data["customer"] is None:
        raise Http404
    customer = _builder_customer(request.user, data["customer"])
    rendered = (request.POST.get("rendered_trim") or "").strip()
    trim_changed = rendered != str(data["trim"] or "")
    if trim_changed:
        data["colour"], data["options"], data["promotions"] = None, [], None
    context = {
        "customer": customer,
        "data": data,
        "trim_changed": trim_changed,
        **_choices_context(data["trim"], data),
        **_preview_context(request.user, customer, data, parse_errors),
    }
    return render(request, "offers/_preview.html", context)


# ---------------------------------------------------------------- one offer


def _detail_or_404(user, pk: int, version: int | None = None) -> dict:
    try:
        return selectors.offer_detail(user, pk, version=version)
    except Offer.DoesNotExist:
        raise Http404 from None


@login_required
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The offer: the shown version's lines, every version, the promotions considered and the allowed actions."""
    user = request.user
    wanted = request.GET.get("version", "")
    detail = _detail_or_404(user, pk, int(wanted) if wanted.isdigit() else None)
    offer, shown = detail["offer"], detail["shown"]
    is_current = shown.pk == offer.current_id
    may_decide = (
        is_current
        and offer.status == OfferStatus.PENDING_APPROVAL
        and user_can(user, "sales.approve_discount", offer.store_id)
        and shown.created_by_id != user.pk
    )
    may_sell = user_can(user, "sales.sell", offer.store_id)
    context = {
        **detail,
        "is_current": is_current,
        "promotions": engine.eligibility_display(shown.eligibility),
        "may_decide": may_decide,
        "may_accept": is_current and may_sell and OfferStatus.ACCEPTED in OFFER_MOVES[offer.status],
        "may_revise": is_current and may_sell and OfferStatus.DRAFT in OFFER_MOVES[offer.status],
        "decision_form": DecisionForm(),
        "today": selectors.local_today(offer.store),
    }
    return render(request, "offers/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def offer_revise(request: HttpRequest, pk: int) -> HttpResponse:
    """The builder filled with the current version; saving adds a version."""
    offer = _detail_or_404(request.user, pk)["offer"]
    customer = _builder_customer(request.user, offer.customer_id)
    if OfferStatus.DRAFT not in OFFER_MOVES[offer.status]:
        messages.error(request, _("This offer can no longer be changed; make a new offer."))
        return redirect("offer_detail", pk=offer.pk)
    if request.method == "GET":
        v = offer.current
        lines = list(v.lines.order_by("position"))
        data = {
            "customer": customer.pk,
            "trim": v.trim_id,
            "colour": v.colour_id,
            "options": [],
            "services": [{"kind": line.code, "amount": str(line.amount)} for line in lines if line.optional],
            "extra_discount": str(v.extra_discount) if v.extra_discount else None,
            "promotions": [line.promotion_id for line in lines if line.promotion_id]
            if v.promotions_chosen == "manual"
            else None,
            "trade_in": v.trade_in,
            "loan": v.loan,
            "first_car": v.first_car,
            "city": v.city,
            "note": v.note,
        }
        codes = [line.code for line in lines if line.kind == "option"]
        data["options"] = [o.pk for o in selectors.trim_choices(v.trim_id)["options"] if o.code in codes]
        return _builder_render(request, customer, data, offer=offer)
    data, parse_errors = parse_builder(request.POST)
    data["customer"] = customer.pk
    if parse_errors:
        return _builder_render(request, customer, data, parse_errors=parse_errors, offer=offer, status=400)
    try:
        offer = services.offer_revise(actor=request.user, offer=offer, request=services.request_from_data(data))
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return _builder_render(request, customer, data, errors=errors, offer=offer, status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("offer_detail", pk=offer.pk)
    _saved_message(request, offer)
    return redirect("offer_detail", pk=offer.pk)


def _decide(request: HttpRequest, pk: int, service) -> HttpResponse:
    offer = _detail_or_404(request.user, pk)["offer"]
    form = DecisionForm(request.POST)
    note = form.data.get("note", "")
    try:
        service(actor=request.user, offer=offer, note=note)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your decision is recorded and the consultant is notified."))
    return redirect("offer_detail", pk=offer.pk)


@login_required
@require_POST
def offer_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """A sales manager approves an offer waiting for approval."""
    return _decide(request, pk, services.offer_approve)


@login_required
@require_POST
def offer_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """A sales manager refuses an offer, saying why."""
    return _decide(request, pk, services.offer_refuse)


@login_required
@require_POST
def offer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the customer accepted the offer."""
    offer = _detail_or_404(request.user, pk)["offer"]
    try:
        services.offer_accept(actor=request.user, offer=offer)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The customer accepted the offer."))
    return redirect("offer_detail", pk=offer.pk)


@login_required
def offer_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The offer (the shown version) as a PDF in Chinese."""
    wanted = request.GET.get("version", "")
    detail = _detail_or_404(request.user, pk, int(wanted) if wanted.isdigit() else None)
    content = offer_pdf(detail["offer"], detail["shown"], detail["lines"])
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="offer-{detail["offer"].number}-v{detail["shown"].number}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- promotions (store administrators)


def _group_wide_allowed(user, stores) -> bool:
    return bool(stores) and all(Role.GROUP_ADMIN in user.roles_in(s.pk) for s in stores)


@login_required
def promotion_list(request: HttpRequest) -> HttpResponse:
    """The promotions of the stores the user manages, newest first."""
    stores = _managed_stores(request.user)
    if not stores:
        raise PermissionDenied
    qs = selectors.promotion_managed_by(request.user)
    if request.GET.get("active") == "1":
        today = timezone.localdate()
        qs = qs.filter(is_active=True, ends_on__gte=today)
    page = keyset_page(qs, cursor=request.GET.get("after"), size=LIST_SIZE)
    context = {
        "page": page,
        "active_only": request.GET.get("active") == "1",
        "policies": [(s, selectors.offer_policy_for(s)) for s in stores],
        "today": timezone.localdate(),
    }
    return render(request, "offers/promotion_list.html", context)


def _promotion_form(request: HttpRequest, promotion: Promotion | None) -> HttpResponse:
    user = request.user
    stores = _managed_stores(user)
    if not stores:
        raise PermissionDenied
    brand_codes = {b for s in stores for b in (s.brands or [])}
    group_wide = _group_wide_allowed(user, list(store_visible_to(user)))
    initial = {"is_active": True}
    if promotion is not None:
        initial = {name: getattr(promotion, name) for name in services.PROMOTION_EDITABLE}
        initial["cities"] = "，".join(promotion.cities)
        initial["store"] = str(promotion.store_id) if promotion.store_id else GROUP_WIDE
    form = PromotionForm(
        request.POST or None,
        initial=initial,
        stores=stores,
        group_wide=group_wide,
        brand_codes=brand_codes,
        editing=promotion is not None,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if promotion is None:
                    store = form.chosen_store()
                    group = store.group if store else stores[0].group
                    promotion = services.promotion_create(actor=user, store=store, group=group, **form.service_fields())
                    messages.success(request, _("The promotion is created."))
                else:
                    services.promotion_update(actor=user, promotion=promotion, **form.service_fields())
                    messages.success(request, _("The promotion is saved."))
            except ValidationError as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                return redirect("promotion_list")
    return render(request, "offers/promotion_form.html", {"form": form, "promotion": promotion}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def promotion_create(request: HttpRequest) -> HttpResponse:
    """Create a promotion (store administrators; group-wide for group administrators)."""
    return _promotion_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def promotion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a promotion."""
    promotion = selectors.promotion_managed_by(request.user).filter(pk=pk).first()
    if promotion is None:
        raise Http404
    return _promotion_form(request, promotion)


@login_required
@require_http_methods(["GET", "POST"])
def offer_settings(request: HttpRequest, store_code: str) -> HttpResponse:
    """A store's offer rules: the consultant's extra discount limit and how long offers stay valid."""
    store = next((s for s in _managed_stores(request.user) if s.code == store_code), None)
    if store is None:
        raise Http404
    policy = selectors.offer_policy_for(store)
    form = OfferPolicyForm(
        request.POST or None, initial={"discount_limit": policy.discount_limit, "validity_days": policy.validity_days}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.offer_policy_update(actor=request.user, store=store, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The offer rules are saved."))
                return redirect("promotion_list")
    return render(request, "offers/settings.html", {"form": form, "store": store}, status=status)
