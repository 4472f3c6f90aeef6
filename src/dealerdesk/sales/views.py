"""Order and contract pages: the order list, a new order from an accepted offer, the order with its vehicle, price,
contract (preview, fill, review, signatures, amendments) and payments; contract templates; the signed archive.

Reads go through selectors (not visible → 404), writes through services. Bad input re-renders the page with the
messages under the fields (400); a refused move is shown as a message.
"""

from contextlib import suppress
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dealerdesk.accounts.models import User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.core.errors import DomainError
from dealerdesk.core.pagination import keyset_page
from dealerdesk.core.webforms import errors_by_field as _errors_of
from dealerdesk.customers.search import SearchTooBroad, search_customers
from dealerdesk.offers.choices import OfferStatus
from dealerdesk.offers.engine import line_text
from dealerdesk.offers.models import OfferLine
from dealerdesk.offers.selectors import offer_list_for

from . import contract_text, selectors, services
from .choices import (
    ORDER_MOVES,
    ContractStatus,
    DepositDecision,
    LoanStatus,
    OrderStatus,
    PaymentChannel,
    PaymentKind,
    PaymentMethod,
    SignatureParty,
)
from .models import Contract, Order

LIST_SIZE = 50


def _post(request: HttpRequest, name: str) -> str:
    return (request.POST.get(name) or "").strip()


# ---------------------------------------------------------------- list


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """Orders (a consultant's own, the store's for managers), newest first, filtered by status and consultant."""
    user = request.user
    stores = list(store_visible_to(user))
    if not any(user_can(user, "sales.sell", s) or user_can(user, "payments.record", s) for s in stores):
        raise PermissionDenied
    qs = selectors.order_list_for(user)
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        qs = qs.filter(status=status)
    consultant = request.GET.get("consultant", "")
    if consultant.isdigit():
        qs = qs.filter(consultant_id=int(consultant))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(selectors.order_search_q(q))
    page = keyset_page(qs, cursor=request.GET.get("after"), size=LIST_SIZE)
    manages = any(user_can(user, "customers.view_store", s) for s in stores)
    consultants = (
        User.objects.filter(memberships__store__in=stores, memberships__role__in=["consultant", "sales_manager"])
        .distinct()
        .order_by("full_name", "id")
        if manages
        else []
    )
    context = {
        "page": page,
        "statuses": OrderStatus.choices,
        "status": status,
        "consultants": consultants,
        "consultant": consultant,
        "q": request.GET.get("q", ""),
        # The clerk records payments here but does not see offers: no link to a page that would refuse them.
        "sees_offers": any(
            user_can(user, "sales.sell", s) or user_can(user, "sales.approve_discount", s) for s in stores
        ),
    }
    return render(request, "sales/order_list.html", context)


# ---------------------------------------------------------------- new order


def _offer_for_order(user, pk: str):
    if not pk.isdigit():
        raise Http404
    offer = offer_list_for(user).filter(pk=int(pk)).first()
    if offer is None:
        raise Http404
    if not user_can(user, "sales.sell", offer.store_id):
        raise PermissionDenied
    return offer


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    """A new order from an accepted offer (`?offer=<id>`): the vehicle to reserve, delivery and deposit."""
    offer = _offer_for_order(request.user, request.GET.get("offer", "") or request.POST.get("offer", ""))
    version = offer.current
    lines = list(OfferLine.objects.filter(version=version).order_by("position"))
    spec = selectors.offer_vehicle_spec(offer.store_id, version, lines)
    vehicles = list(selectors.free_stock_of_trim(offer.store_id, version.trim_id)[:50])
    for vehicle in vehicles:
        # a vehicle that is not the offered car is shown with what differs: it needs a new offer version first
        vehicle.differences = selectors.vehicle_differences(spec, vehicle)
    errors: dict = {}
    data = {"payment_method": PaymentMethod.LOAN if version.loan else PaymentMethod.FULL, "deposit_amount": "5000"}
    status = 200
    if request.method == "POST":
        data = {
            k: _post(request, k)
            for k in (
                "stock_vehicle",
                "factory_order_ref",
                "planned_delivery_on",
                "delivery_place",
                "deposit_amount",
                "payment_method",
            )
        }
        vehicle = next((v for v in vehicles if str(v.pk) == data["stock_vehicle"]), None)
        try:
            order = services.order_create_from_offer(
                actor=request.user,
                offer=offer,
                stock_vehicle=vehicle,
                factory_order_ref=data["factory_order_ref"],
                planned_delivery_on=data["planned_delivery_on"] or None,
                delivery_place=data["delivery_place"],
                deposit_amount=data["deposit_amount"],
                payment_method=data["payment_method"],
            )
        except ValidationError as exc:
            errors, status = _errors_of(exc), 400
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("Order %(number)s is taken.") % {"number": order.number})
            return redirect("order_detail", pk=order.pk)
    context = {
        "offer": offer,
        "version": version,
        "lines": lines,
        "vehicles": vehicles,
        "any_matching": any(not v.differences for v in vehicles),
        "accepted": offer.status == OfferStatus.ACCEPTED,
        "errors": errors,
        "data": data,
        "methods": PaymentMethod.choices,
    }
    return render(request, "sales/order_create.html", context, status=status)


# ---------------------------------------------------------------- one order


def _order_or_404(user, pk: int) -> dict:
    try:
        return selectors.order_detail(user, pk)
    except Order.DoesNotExist:
        raise Http404 from None


def _detail(request: HttpRequest, pk: int, *, errors: dict | None = None, form: str = "", status: int = 200):
    user = request.user
    detail = _order_or_404(user, pk)
    order = detail["order"]
    store = order.store_id
    sells = user_can(user, "sales.sell", store)
    contract = detail["open_contract"]
    in_force = next((c for c in detail["contracts"] if c.pk == order.contract_id), None)
    may_cancel = (
        OrderStatus.CANCELLED in ORDER_MOVES[order.status]
        and sells
        and (order.status != OrderStatus.SIGNED or user_can(user, "sales.sign_for_store", store))
    )
    price_rows = [
        {
            "kind": line.get("kind"),
            "text": line_text(line.get("kind", ""), line.get("code", ""), line.get("label", "")),
            "amount": line.get("amount"),
            "optional": line.get("optional"),
        }
        for line in order.price_lines or []
        if line.get("kind") != "total"
    ]
    context = {
        **detail,
        "price_rows": price_rows,
        "service_rows": [
            {"text": line_text("service", s.get("code", ""), s.get("label", "")), "amount": s.get("price")}
            for s in order.services or []
        ],
        "in_force": in_force,
        "errors": errors or {},
        "form": form,
        "post": request.POST if errors else {},
        "blocker": selectors.order_delivery_blocker(order),
        "cancelled_money": selectors.cancelled_money(order, detail["payments"])
        if order.status == OrderStatus.CANCELLED
        else None,
        # paid amounts with no payment rows here (imported orders, the demo's delivered ones): say so, not "none"
        "untracked_paid": order.amount_paid if not detail["payments"] and order.amount_paid > 0 else None,
        # the open contract's text with the mobile and ID numbers masked (the PDF keeps them in full)
        "contract_body": contract_text.masked_body(contract) if contract is not None and contract.body else "",
        "sells": sells,
        "records_payments": user_can(user, "payments.record", store),
        "signs_for_store": user_can(user, "sales.sign_for_store", store),
        "is_consultant": user.pk == order.consultant_id,
        "may_edit": sells and order.status == OrderStatus.DRAFT,
        "may_prepare": sells and order.status == OrderStatus.DRAFT and contract is None,
        "may_amend": sells and order.status == OrderStatus.SIGNED and in_force is not None and contract is None,
        "may_cancel": may_cancel,
        "may_take_money": order.status in (OrderStatus.DRAFT, OrderStatus.PENDING_SIGNATURE, OrderStatus.SIGNED),
        "loan_choices": [c for c in LoanStatus.choices if c[0] in services.LOAN_MOVES.get(order.loan_status, ())],
        "kinds": PaymentKind.choices,
        "channels": PaymentChannel.choices,
        "methods": PaymentMethod.choices,
        "decisions": DepositDecision.choices,
        "parties": SignatureParty,
        "blockers": services.contract_blockers(
            order, contract.amendment_changes, body=contract.template_version.body, contract=contract
        )
        if contract and contract.status == ContractStatus.DRAFT
        else {},
    }
    return render(request, "sales/order_detail.html", context, status=status)


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The order: vehicle, price, contract with its allowed steps, payments, cancellation."""
    return _detail(request, pk)


def _act(request: HttpRequest, pk: int, form: str, call, success: str) -> HttpResponse:
    """Run one service for the order page: success → back to the page; bad input → the page with field errors."""
    try:
        call()
    except ValidationError as exc:
        return _detail(request, pk, errors=_errors_of(exc), form=form, status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("order_detail", pk=pk)


@login_required
@require_POST
def order_terms(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft order's delivery date and place, deposit and payment method."""
    order = _order_or_404(request.user, pk)["order"]
    values = {k: _post(request, k) for k in services.AMENDABLE_FIELDS}
    values["planned_delivery_on"] = values["planned_delivery_on"] or None
    return _act(
        request,
        pk,
        "terms",
        lambda: services.order_update(actor=request.user, order=order, **values),
        _("The order is saved."),
    )


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the order with the reason and the deposit decision."""
    order = _order_or_404(request.user, pk)["order"]
    return _act(
        request,
        pk,
        "cancel",
        lambda: services.order_cancel(
            actor=request.user,
            order=order,
            reason=_post(request, "reason"),
            deposit_decision=_post(request, "deposit_decision"),
        ),
        _("The order is cancelled."),
    )


@login_required
@require_POST
def order_loan(request: HttpRequest, pk: int) -> HttpResponse:
    """Record where the loan application stands."""
    order = _order_or_404(request.user, pk)["order"]
    return _act(
        request,
        pk,
        "loan",
        lambda: services.order_set_loan_status(
            actor=request.user, order=order, loan_status=_post(request, "loan_status")
        ),
        _("The loan status is recorded."),
    )


@login_required
@require_POST
def payment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a deposit, a balance payment or a refund."""
    order = _order_or_404(request.user, pk)["order"]
    return _act(
        request,
        pk,
        "payment",
        lambda: services.payment_record(
            actor=request.user,
            order=order,
            kind=_post(request, "kind"),
            method=_post(request, "method"),
            receipt_number=_post(request, "receipt_number"),
            amount=_post(request, "amount"),
            note=_post(request, "note"),
        ),
        _("The payment is recorded."),
    )


# ---------------------------------------------------------------- contract steps


def _contract_or_404(user, pk: int) -> Contract:
    contract = selectors.contract_list_for(user).filter(pk=pk).first()
    if contract is None:
        raise Http404
    return contract


@login_required
def contract_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The store's template in force filled with what the order holds now: shown to the customer before filling."""
    order = _order_or_404(request.user, pk)["order"]
    version = selectors.template_in_force(order.store_id)
    return render(
        request,
        "sales/contract_preview.html",
        {"order": order, "text": selectors.contract_preview(order), "version": version},
    )


@login_required
@require_POST
def contract_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Prepare the order's contract and fill it from the order right away."""
    order = _order_or_404(request.user, pk)["order"]

    def run():
        contract = services.contract_create(actor=request.user, order=order)
        with suppress(ValidationError):  # the draft is kept: the page lists what blocks filling
            services.contract_fill(actor=request.user, contract=contract)

    return _act(request, pk, "contract", run, _("The contract is prepared."))


def _contract_step(request: HttpRequest, pk: int, service, success: str, **kwargs) -> HttpResponse:
    contract = _contract_or_404(request.user, pk)
    return _act(
        request,
        contract.order_id,
        "contract",
        lambda: service(actor=request.user, contract=contract, **kwargs),
        success,
    )


@login_required
@require_POST
def contract_fill(request: HttpRequest, pk: int) -> HttpResponse:
    """Fill (again) the contract from the order."""
    return _contract_step(request, pk, services.contract_fill, _("The contract is filled from the order."))


@login_required
@require_POST
def contract_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer reviewed the text: it goes for signatures."""
    return _contract_step(request, pk, services.contract_submit, _("The contract waits for signatures."))


@login_required
@require_POST
def contract_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to editing (signatures so far are void)."""
    return _contract_step(request, pk, services.contract_reopen, _("The contract is back to editing."))


@login_required
@require_POST
def contract_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Give up a contract that is not signed."""
    return _contract_step(
        request, pk, services.contract_discard, _("The contract is discarded."), reason=_post(request, "reason")
    )


@login_required
@require_POST
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """One party signs (the customer with typed name and optional drawing; the consultant; a manager)."""
    return _contract_step(
        request,
        pk,
        services.contract_sign,
        _("The signature is recorded."),
        party=_post(request, "party"),
        typed_name=_post(request, "typed_name"),
        signature_png=_post(request, "signature_png") or None,
    )


@login_required
@require_POST
def contract_amend(request: HttpRequest, pk: int) -> HttpResponse:
    """Amend the signed contract: a new version with the changed terms, filled, to be signed again."""
    contract = _contract_or_404(request.user, pk)
    changes = {k: _post(request, k) for k in services.AMENDABLE_FIELDS if _post(request, k)}

    def run():
        amendment = services.contract_amend(
            actor=request.user, contract=contract, reason=_post(request, "reason"), **changes
        )
        services.contract_fill(actor=request.user, contract=amendment)

    return _act(request, contract.order_id, "amend", run, _("The amendment is prepared; review it and sign again."))


@login_required
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed contract's stored PDF."""
    contract = _contract_or_404(request.user, pk)
    content = selectors.contract_pdf_bytes(contract)
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contract-{contract.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- templates


@login_required
@require_http_methods(["GET", "POST"])
def contract_template_list(request: HttpRequest) -> HttpResponse:
    """The contract templates of the stores the user administers, with their versions; a new version of a text."""
    user = request.user
    stores = [s for s in store_visible_to(user) if user_can(user, "store.manage", s)]
    if not stores:
        raise PermissionDenied
    for store in stores:
        services.contract_template_ensure_default(store)  # a store's first visit creates the standard text
    errors: dict = {}
    status = 200
    if request.method == "POST":
        template = selectors.templates_managed_by(user).filter(pk=_post(request, "template") or 0).first()
        if template is None:
            raise Http404
        try:
            if request.POST.get("action") == "default":
                services.contract_template_set_default(actor=user, template=template)
                messages.success(request, _("New contracts of the store use this template."))
            else:
                services.contract_template_add_version(
                    actor=user, template=template, body=request.POST.get("body", ""), note=_post(request, "note")
                )
                messages.success(request, _("The new version is in force for contracts prepared from now on."))
        except ValidationError as exc:
            errors = {"template": template.pk, **_errors_of(exc)}
            status = 400
        else:
            return redirect("contract_template_list")
    templates = list(selectors.templates_managed_by(user).prefetch_related("versions"))
    context = {
        "templates": templates,
        "stores": stores,
        "errors": errors,
        "placeholders": [(f"{{{{{name}}}}}", label) for name, label in contract_text.PLACEHOLDERS.items()],
        "posted_body": request.POST.get("body", "") if errors else "",
    }
    return render(request, "sales/template_list.html", context, status=status)


@login_required
@require_POST
def contract_template_create(request: HttpRequest) -> HttpResponse:
    """A new template of a store (copied from the default text when the body is left empty)."""
    user = request.user
    store = next(
        (
            s
            for s in store_visible_to(user)
            if str(s.pk) == _post(request, "store") and user_can(user, "store.manage", s)
        ),
        None,
    )
    if store is None:
        raise Http404
    try:
        services.contract_template_create(
            actor=user,
            store=store,
            name=_post(request, "name"),
            body=request.POST.get("body") or contract_text.DEFAULT_TEMPLATE,
        )
    except ValidationError as exc:
        for message_list in _errors_of(exc).values():
            for message in message_list:
                messages.error(request, message)
    else:
        messages.success(request, _("The template is created."))
    return redirect("contract_template_list")


# ---------------------------------------------------------------- archive


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def contract_archive(request: HttpRequest) -> HttpResponse:
    """Signed contracts (kept 10 years): by customer (name, pinyin, mobile), VIN, contract number and date."""
    user = request.user
    if not selectors.archive_stores(user):
        raise PermissionDenied
    params = request.GET
    customer_ids = None
    search_error = None
    q = params.get("q", "").strip()
    if q:
        try:
            customer_ids = [c.pk for c in search_customers(user, q)]
        except SearchTooBroad as exc:
            search_error = exc.message
            customer_ids = []
    qs = selectors.contract_archive_for(
        user,
        customer_ids=customer_ids,
        vin=params.get("vin", ""),
        number=params.get("number", ""),
        signed_from=_date(params.get("from", "")),
        signed_to=_date(params.get("to", "")),
    )
    page = keyset_page(qs, cursor=params.get("after"), size=LIST_SIZE)
    context = {"page": page, "params": params, "search_error": search_error}
    return render(request, "sales/archive.html", context, status=400 if search_error else 200)
