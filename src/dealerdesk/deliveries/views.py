"""Delivery pages: the store's week calendar with booking, one delivery (PDI, document pack, gifts, handover,
signatures, PDF) and the gift stock list.

Reads go through selectors (not visible → 404), writes through services; a ValidationError re-renders the page with
the messages under the fields (400); a refused move is shown as a message (409/403).
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.catalog.choices import CertificateHolder, Origin
from dealerdesk.catalog.models import Trim
from dealerdesk.core.errors import DomainError
from dealerdesk.core.pagination import keyset_page
from dealerdesk.core.webforms import errors_by_field as _errors_of
from dealerdesk.core.webforms import int_or as _int

from . import selectors, services
from .choices import DeliveryStatus, DocumentKind, ExplanationItem, FollowUpRole
from .models import Delivery, GiftItem, GiftRule, HandoverPhoto, PromisedGift

GIFT_PAGE = 50


def _local_datetime(store, day: str, time: str):
    """A date and a time typed in the store's time zone, or None."""
    d = parse_date(day or "")
    try:
        t = datetime.time.fromisoformat((time or "").strip())
    except ValueError:
        t = None
    if d is None or t is None:
        return None
    return datetime.datetime.combine(d, t, tzinfo=store.tz)


# ---------------------------------------------------------------- calendar


def _calendar_store(request: HttpRequest):
    stores = selectors.delivery_stores(request.user)
    if not stores:
        raise PermissionDenied
    wanted = request.GET.get("store") or request.POST.get("store") or ""
    return next((s for s in stores if s.code == wanted or str(s.pk) == wanted), stores[0]), stores


def _calendar_context(request: HttpRequest, store, stores, monday: datetime.date, **extra) -> dict:
    config = selectors.settings_of(store.pk)
    return {
        "store": store,
        "stores": stores,
        "monday": monday,
        "previous_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
        "today": timezone.localtime(timezone.now(), store.tz).date(),
        "bays": config.bays,
        "ready_orders": selectors.orders_ready_to_schedule(request.user, store),
        "manages_store": user_can(request.user, "store.manage", store),
        "errors": {},
        "form": {},
        **selectors.delivery_calendar(request.user, store, monday),
        **extra,
    }


@login_required
def delivery_calendar(request: HttpRequest) -> HttpResponse:
    """The store's delivery appointments of one week, and the signed orders waiting for one."""
    store, stores = _calendar_store(request)
    day = parse_date(request.GET.get("week", "")) or timezone.localtime(timezone.now(), store.tz).date()
    monday = selectors.week_start(day)
    return render(request, "deliveries/calendar.html", _calendar_context(request, store, stores, monday))


@login_required
@require_POST
def delivery_book(request: HttpRequest) -> HttpResponse:
    """Book a handover from the calendar: order, date, time and bay."""
    store, stores = _calendar_store(request)
    form = {k: request.POST.get(k, "") for k in ("order", "day", "time", "bay")}
    order = selectors.order_schedulable_by(request.user).filter(pk=_int(form["order"], 0), store=store).first()
    errors: dict = {}
    if order is None:
        errors["order"] = [_("Choose the order to deliver.")]
    when = _local_datetime(store, form["day"], form["time"])
    if when is None:
        errors["scheduled_at"] = [_("Enter the date and time of the handover.")]
    monday = selectors.week_start(parse_date(form["day"] or "") or timezone.localdate())
    if not errors:
        try:
            delivery = services.delivery_schedule(actor=request.user, order=order, scheduled_at=when, bay=form["bay"])
        except ValidationError as exc:
            errors = _errors_of(exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            errors = {exc.field or "all": [exc.message]}
        else:
            messages.success(request, _("The handover is booked and the customer has been sent a confirmation."))
            return redirect("delivery_detail", pk=delivery.pk)
    context = _calendar_context(request, store, stores, monday, errors=errors, form=form)
    return render(request, "deliveries/calendar.html", context, status=400)


# ---------------------------------------------------------------- one delivery


def _detail_or_404(user, pk: int) -> dict:
    try:
        return selectors.delivery_detail(user, pk)
    except Delivery.DoesNotExist:
        raise Http404 from None


def _detail_context(request: HttpRequest, pk: int, *, errors=None, form=None, warnings=()) -> dict:
    context = _detail_or_404(request.user, pk)
    delivery = context["delivery"]
    handover_missing = selectors.handover_missing(delivery, promised=context["promised"])
    context.update(
        {
            "errors": errors or {},
            "form": form or {},
            "warnings": list(warnings),
            "explanation_items": [(v, label, v in delivery.explained) for v, label in ExplanationItem.choices],
            "holders": CertificateHolder.choices,
            "origins": Origin.choices,
            "keys_kind": DocumentKind.KEYS,
            "invoice_kind": DocumentKind.SALES_INVOICE,
            "local_start": timezone.localtime(delivery.scheduled_at, delivery.store.tz),
            # signed on another day than booked: said before signing (today) and on the signed record (the real day)
            "handover_date_note": selectors.handover_date_note(delivery)
            if delivery.status in (DeliveryStatus.PREPARED, DeliveryStatus.HANDED_OVER)
            else "",
            "handover_missing": handover_missing,
            # the signing card only once the handover is complete: signing would be refused before
            "may_confirm_here": context["may_confirm"]
            and not handover_missing
            and services.may_confirm(request.user, delivery),
            "show_confirm_hint": context["may_handover"] and bool(handover_missing),
            "may_add_photos": len(context["photos"]) < services.MAX_PHOTOS
            and delivery.status == DeliveryStatus.PREPARED
            and services.may_work_on_photos(request.user, delivery),
            "max_photos": services.MAX_PHOTOS,
            "max_photo_mb": services.MAX_PHOTO_BYTES // (1024 * 1024),
        }
    )
    for photo in context["photos"]:
        photo.deletable = services.may_delete_photo(request.user, photo, delivery)
    return context


def _render_detail(request: HttpRequest, pk: int, *, errors=None, form=None, status=200, warnings=()) -> HttpResponse:
    context = _detail_context(request, pk, errors=errors, form=form, warnings=warnings)
    return render(request, "deliveries/detail.html", context, status=status)


@login_required
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One delivery: appointment, PDI checklist, document pack, gifts, handover, signatures and the PDF."""
    return _render_detail(request, pk)


def _act(request: HttpRequest, pk: int, do, success, form=None) -> HttpResponse:
    """Run one service call for the delivery; errors re-render the page, success redirects back to it."""
    context = _detail_or_404(request.user, pk)
    delivery = context["delivery"]
    if not selectors.works_on_deliveries(request.user, delivery.store):
        raise PermissionDenied  # the care desk reads the delivery, never acts on it (before reading the input)
    try:
        result = do(delivery)
    except ValidationError as exc:
        return _render_detail(request, pk, errors=_errors_of(exc), form=form, status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, pk, form=form, status=exc.status)
    # `success` may depend on what the service did (a callable given the result)
    messages.success(request, success(result) if callable(success) else success)
    warnings = result[1] if isinstance(result, tuple) else ()
    for warning in warnings:
        messages.warning(request, warning)
    return redirect("delivery_detail", pk=delivery.pk)


@login_required
@require_POST
def delivery_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    form = {k: request.POST.get(k, "") for k in ("day", "time", "bay")}

    def do(delivery):
        when = _local_datetime(delivery.store, form["day"], form["time"])
        if when is None:
            raise ValidationError({"scheduled_at": [_("Enter the date and time of the handover.")]})
        return services.delivery_reschedule(actor=request.user, delivery=delivery, scheduled_at=when, bay=form["bay"])

    return _act(request, pk, do, _("The appointment is moved and the customer informed."), form)


@login_required
@require_POST
def delivery_pdi(request: HttpRequest, pk: int) -> HttpResponse:
    code = request.POST.get("item", "")
    passed = request.POST.get("result") == "passed"
    note = request.POST.get("note", "")

    def do(delivery):
        return services.pdi_check(actor=request.user, delivery=delivery, code=code, passed=passed, note=note)

    form = {"pdi_item": code, "note": note}
    if request.htmx:
        return _tick_in_place(request, pk, do, row="pdi", key=code, success=_("PDI item recorded."), form=form)
    return _act(request, pk, do, _("PDI item recorded."), form)


@login_required
@require_POST
def delivery_document(request: HttpRequest, pk: int) -> HttpResponse:
    p = request.POST
    kind = p.get("kind", "")
    form = {
        "doc_kind": kind,
        **{k: p.get(k, "") for k in ("quantity", "invoice_number", "invoice_date", "holder_name")},
    }

    def do(delivery):
        if p.get("action") == "holder":
            return services.document_record_holder(
                actor=request.user,
                delivery=delivery,
                kind=kind,
                holder=p.get("holder", ""),
                holder_name=p.get("holder_name", ""),
                promised_on=parse_date(p.get("promised_on", "") or ""),
            )
        return services.document_receive(
            actor=request.user,
            delivery=delivery,
            kind=kind,
            quantity=_int(p.get("quantity")),
            invoice_number=p.get("invoice_number", ""),
            invoice_date=parse_date(p.get("invoice_date", "") or ""),
        )

    if request.htmx:
        return _tick_in_place(request, pk, do, row="document", key=kind, success=_("Document recorded."), form=form)
    return _act(request, pk, do, _("Document recorded."), form)


def _tick_in_place(request: HttpRequest, pk: int, do, *, row: str, key: str, success: str, form: dict) -> HttpResponse:
    """A PDI or document tick sent by htmx (issue #10.15): the service as for a plain POST, then only the ticked row
    (with its errors; htmx swaps 2xx answers only) and the "still missing" block, swapped in place. The page
    reloads only when the tick changed what else the page offers (the delivery's status)."""
    before = _detail_or_404(request.user, pk)
    errors: dict = {}
    try:
        do(before["delivery"])
    except ValidationError as exc:
        errors = _errors_of(exc)
    except DomainError as exc:
        errors = {"all": [exc.message]}
    context = _detail_context(request, pk, errors=errors, form=form if errors else {})
    if row == "pdi":
        found = {"item": next((i for i in context["pdi"] if i.code == key), None)}
    else:
        found = {"doc": next((d for d in context["documents"] if d.kind == key), None)}
    if None in found.values() or context["delivery"].status != before["delivery"].status:
        if errors:
            messages.error(request, "; ".join(str(m) for messages_ in errors.values() for m in messages_))
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    context.update(found, saved_message="" if errors else success)
    html = render_to_string(f"deliveries/_{row}_row.html", context, request=request)
    readiness = render_to_string("deliveries/_readiness.html", context, request=request)
    # htmx 2 swaps a partial template anywhere in the page: the readiness block follows the row's change
    html += f'<template hx type="partial" hx-target="#delivery-readiness" hx-swap="outerHTML">{readiness}</template>'
    return HttpResponse(html)


@login_required
@require_POST
def delivery_origin(request: HttpRequest, pk: int) -> HttpResponse:
    origin, note = request.POST.get("origin", ""), request.POST.get("origin_note", "")
    return _act(
        request,
        pk,
        lambda d: services.delivery_set_origin(actor=request.user, delivery=d, origin=origin, note=note),
        _("Origin changed; the document pack follows."),
        {"origin_note": note},
    )


@login_required
@require_POST
def delivery_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda d: services.delivery_mark_prepared(actor=request.user, delivery=d),
        _("The car is prepared for the handover."),
    )


@login_required
@require_POST
def delivery_gift(request: HttpRequest, pk: int) -> HttpResponse:
    gift_id, quantity = _int(request.POST.get("gift"), 0), _int(request.POST.get("quantity"), -1)

    def do(delivery):
        gift = GiftItem.objects.filter(pk=gift_id, store_id=delivery.store_id).first()
        if gift is None:
            raise ValidationError({"gift": [_("Choose one of this store's gifts.")]})
        return services.delivery_gift_set(actor=request.user, delivery=delivery, gift=gift, quantity=quantity)

    return _act(request, pk, do, _("Gifts updated."))


def _handover_saved(result) -> str:
    """Say what is left: "recorded" only when nothing stands between the handover and the signatures."""
    delivery = result[0] if isinstance(result, tuple) else result
    left = len(selectors.handover_missing(delivery, odometer=False, gifts=False))
    if left:
        return _("Handover saved: %(n)s explanation item(s) still to go through before signing.") % {"n": left}
    gifts = len(selectors.handover_missing(delivery, odometer=False))
    if gifts:
        return _("Handover saved: %(n)s promised gift(s) still to hand over or substitute before signing.") % {
            "n": gifts
        }
    return _("Handover recorded: the customer can sign the confirmation.")


PROMISED_GIFT_ACTIONS = {
    "handed_over": gettext_lazy("Promised gift handed over."),
    "substituted": gettext_lazy("Substitution recorded: the confirmation names it for the customer's signature."),
    "reset": gettext_lazy("The promised gift is open again."),
}


@login_required
@require_POST
def delivery_promised_gift(request: HttpRequest, pk: int, promised_id: int) -> HttpResponse:
    """At the handover, record a gift the contract promised: handed over (optionally as a gift item from stock),
    substituted with what and why, or open again. With htmx the checklist is swapped in place (the page reloads
    when the signing card appears or goes)."""
    p = request.POST
    action = p.get("action", "")
    if action not in PROMISED_GIFT_ACTIONS:
        raise Http404
    form = {"promised_id": promised_id, "substitute": p.get("substitute", ""), "reason": p.get("reason", "")}

    def do(delivery):
        promised = PromisedGift.objects.filter(pk=promised_id, delivery_id=delivery.pk).first()
        if promised is None:
            raise Http404
        gift = None
        if p.get("gift"):
            gift = GiftItem.objects.filter(pk=_int(p.get("gift"), 0), store_id=delivery.store_id).first()
            if gift is None:
                raise ValidationError({"gift": [_("Choose one of this store's gifts.")]})
        if action == "handed_over":
            return services.promised_gift_hand_over(actor=request.user, delivery=delivery, promised=promised, gift=gift)
        if action == "substituted":
            return services.promised_gift_substitute(
                actor=request.user,
                delivery=delivery,
                promised=promised,
                substitute=form["substitute"],
                reason=form["reason"],
                gift=gift,
            )
        return services.promised_gift_reset(actor=request.user, delivery=delivery, promised=promised)

    if not request.htmx:
        return _act(request, pk, do, PROMISED_GIFT_ACTIONS[action], form)
    before = _detail_context(request, pk)
    errors: dict = {}
    saved = ""
    try:
        do(before["delivery"])
    except ValidationError as exc:
        errors = _errors_of(exc)
    except DomainError as exc:
        errors = {"all": [exc.message]}
    else:
        saved = PROMISED_GIFT_ACTIONS[action]
        form = {}
    context = _detail_context(request, pk, errors=errors, form=form)
    # htmx swaps 2xx answers only: the checklist comes back with the errors under the row
    response = render(request, "deliveries/_promised_gifts.html", {**context, "saved_message": saved})
    if context["may_confirm_here"] != before["may_confirm_here"]:
        response["HX-Refresh"] = "true"  # the signing card appears (or goes): the whole page follows
    return response


@login_required
@require_POST
def delivery_handover(request: HttpRequest, pk: int) -> HttpResponse:
    explained = request.POST.getlist("explained")
    odometer, note = request.POST.get("odometer_km", ""), request.POST.get("handover_note", "")
    return _act(
        request,
        pk,
        lambda d: services.delivery_record_handover(
            actor=request.user, delivery=d, explained=explained, odometer_km=odometer, note=note
        ),
        _handover_saved,
        {"odometer_km": odometer, "handover_note": note},
    )


@login_required
@require_POST
def delivery_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    name, signature = request.POST.get("customer_name", ""), request.POST.get("signature", "")
    return _act(
        request,
        pk,
        lambda d: services.delivery_confirm(actor=request.user, delivery=d, customer_name=name, signature=signature),
        _("Both sides signed: the car is handed over. Congratulations!"),
        {"customer_name": name},
    )


@login_required
def delivery_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed confirmation PDF as stored at signing."""
    row = (
        selectors.delivery_visible_to(request.user)
        .filter(pk=pk)
        .values_list("number", "confirmation_sha256", "confirmation_pdf")
        .first()
    )
    if row is None or not row[1]:
        raise Http404
    response = HttpResponse(bytes(row[2]), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="delivery-{row[0]}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- handover photos


@login_required
@require_POST
def delivery_photos(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload several handover photos at once: the good files are kept, each bad one is named with the reason."""
    context = _detail_or_404(request.user, pk)
    delivery = context["delivery"]
    try:
        created, refused = services.photos_upload(
            actor=request.user,
            delivery=delivery,
            files=request.FILES.getlist("files"),
            caption=request.POST.get("caption", ""),
        )
    except ValidationError as exc:
        return _render_detail(request, pk, errors=_errors_of(exc), status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, pk, status=exc.status)
    if not created:
        return _render_detail(request, pk, errors={"files": [r.detail for r in refused]}, status=400)
    messages.success(request, _("%(n)s photo(s) added.") % {"n": len(created)})
    for refusal in refused:
        messages.error(request, refusal.detail)
    return redirect("delivery_detail", pk=delivery.pk)


def photo_response(photo: HandoverPhoto, *, thumbnail: bool = False) -> FileResponse:
    """The stored photo (or its thumbnail) as a private download: never cached by shared caches."""
    field = photo.thumbnail if thumbnail else photo.file
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    content_type = "image/jpeg" if thumbnail else photo.content_type
    extension = "jpg" if thumbnail else field.name.rsplit(".", 1)[-1]
    response = FileResponse(handle, content_type=content_type)
    suffix = "-thumb" if thumbnail else ""
    response["Content-Disposition"] = f'inline; filename="handover-{photo.delivery_id}-{photo.pk}{suffix}.{extension}"'
    response["Cache-Control"] = "private, max-age=600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _visible_photo(request: HttpRequest, pk: int, photo_id: int) -> HandoverPhoto:
    photo = selectors.photos_visible_to(request.user).filter(pk=photo_id, delivery_id=pk).first()
    if photo is None:
        raise Http404
    return photo


@login_required
def delivery_photo(request: HttpRequest, pk: int, photo_id: int) -> HttpResponse:
    """One handover photo, to whoever may see the delivery (there is no public media URL)."""
    return photo_response(_visible_photo(request, pk, photo_id))


@login_required
def delivery_photo_thumbnail(request: HttpRequest, pk: int, photo_id: int) -> HttpResponse:
    return photo_response(_visible_photo(request, pk, photo_id), thumbnail=True)


@login_required
@require_POST
def delivery_photo_delete(request: HttpRequest, pk: int, photo_id: int) -> HttpResponse:
    photo = _visible_photo(request, pk, photo_id)
    return _act(
        request,
        pk,
        lambda d: services.photo_delete(actor=request.user, photo=photo),
        _("Photo removed."),
    )


# ---------------------------------------------------------------- gifts


def _gift_context(request: HttpRequest, **extra) -> dict:
    user = request.user
    stores = selectors.gift_stores(user)
    if not stores:
        raise PermissionDenied
    page = keyset_page(selectors.gift_visible_to(user), cursor=request.GET.get("after"), size=GIFT_PAGE)
    manages = [s for s in stores if user_can(user, "store.manage", s) or user_can(user, "paperwork.manage", s)]
    return {
        "page": page,
        "manage_stores": manages,
        "rule_stores": {s.pk for s in stores if user_can(user, "store.manage", s)},
        "rules": list(
            GiftRule.objects.filter(store__in=stores, is_active=True).select_related(
                "gift", "trim__series__brand", "promotion"
            )[:200]
        ),
        "trims": list(Trim.objects.filter(is_active=True).select_related("series__brand")[:200])
        if any(user_can(user, "store.manage", s) for s in stores)
        else [],
        "promotions": list(selectors.rule_promotions(user, stores)[:200]),
        "errors": {},
        "form": {},
        **extra,
    }


@login_required
def gift_list(request: HttpRequest) -> HttpResponse:
    """Gift items with their stock, the gift rules, and forms to add and restock (administrators and clerks)."""
    return render(request, "deliveries/gift_list.html", _gift_context(request))


@login_required
@require_POST
def gift_action(request: HttpRequest) -> HttpResponse:
    """Add a gift, change its stock, or add a rule."""
    p = request.POST
    what = p.get("action", "")
    stores = {s.pk: s for s in selectors.gift_stores(request.user)}
    try:
        if what == "create":
            store = stores.get(_int(p.get("store"), 0))
            if store is None:
                raise ValidationError({"store": [_("Choose a store.")]})
            services.gift_create(
                actor=request.user,
                store=store,
                name=p.get("name", ""),
                unit_value=p.get("unit_value", ""),
                stock=_int(p.get("stock"), -1),
            )
            messages.success(request, _("Gift added."))
        elif what in ("restock", "rule"):
            gift = selectors.gift_visible_to(request.user).filter(pk=_int(p.get("gift"), 0)).first()
            if gift is None:
                raise Http404
            if what == "restock":
                services.gift_restock(
                    actor=request.user, gift=gift, change=_int(p.get("change"), 0), reason=p.get("reason", "")
                )
                messages.success(request, _("Stock updated."))
            else:
                trim = Trim.objects.filter(pk=_int(p.get("trim"), 0)).first()
                promotion = None
                if p.get("promotion"):
                    promotion = (
                        selectors.rule_promotions(request.user, list(stores.values()))
                        .filter(pk=_int(p.get("promotion"), 0))
                        .first()
                    )
                    if promotion is None:
                        raise ValidationError({"promotion": [_("Choose a running promotion of this store.")]})
                services.gift_rule_create(
                    actor=request.user,
                    gift=gift,
                    quantity=_int(p.get("quantity"), 0),
                    trim=trim,
                    promotion=promotion,
                    min_order_total=p.get("min_order_total", ""),
                )
                messages.success(request, _("Gift rule added."))
        elif what == "retire_rule":
            rule = GiftRule.objects.filter(pk=_int(p.get("rule"), 0), store_id__in=list(stores), is_active=True).first()
            if rule is None:
                raise Http404
            services.gift_rule_retire(actor=request.user, rule=rule)
            messages.success(request, _("Gift rule retired."))
        else:
            raise Http404
    except ValidationError as exc:
        context = _gift_context(request, errors=_errors_of(exc), form={**p.dict(), "action": what})
        return render(request, "deliveries/gift_list.html", context, status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "deliveries/gift_list.html", _gift_context(request), status=exc.status)
    return redirect("gift_list")


# ---------------------------------------------------------------- store settings


def _settings_context(store, config, **extra) -> dict:
    pdi = [(i["code"], i.get("label", ""), selectors.DEFAULT_PDI_LABELS.get(i["code"], "")) for i in config.pdi_items]
    return {
        "store": store,
        "config": config,
        "bays_text": "\n".join(config.bays),
        "pdi_rows": pdi + [("", "", "")] * 3,
        "followup_rows": [(f["day"], f["role"]) for f in config.followups] + [("", "")] * 2,
        "roles": FollowUpRole.choices,
        "errors": {},
        **extra,
    }


@login_required
def delivery_settings(request: HttpRequest, store_code: str) -> HttpResponse:
    """A store administrator's delivery rules: bays, appointment length, PDI checklist, follow-up plan."""
    store = next((s for s in store_visible_to(request.user) if s.code == store_code), None)
    if store is None:
        raise Http404
    if not user_can(request.user, "store.manage", store):
        raise PermissionDenied
    config = selectors.settings_of(store.pk)
    if request.method != "POST":
        return render(request, "deliveries/settings.html", _settings_context(store, config))
    p = request.POST
    codes, labels = p.getlist("pdi_code"), p.getlist("pdi_label")
    days, roles = p.getlist("followup_day"), p.getlist("followup_role")
    try:
        services.delivery_settings_update(
            actor=request.user,
            store=store,
            bays=p.get("bays", "").splitlines(),
            slot_minutes=_int(p.get("slot_minutes"), 0),
            odometer_warning_km=_int(p.get("odometer_warning_km"), -1),
            pdi_items=[{"code": c, "label": lb} for c, lb in zip(codes, labels, strict=False) if c.strip()],
            followups=[{"day": d, "role": r} for d, r in zip(days, roles, strict=False) if d.strip()],
        )
    except ValidationError as exc:
        return render(
            request, "deliveries/settings.html", _settings_context(store, config, errors=_errors_of(exc)), status=400
        )
    messages.success(request, _("Delivery settings saved."))
    return redirect("delivery_settings", store_code=store.code)
