"""Catalogue and stock pages: the catalogue browser, a trim's card with the store's marked price and stock, the
stock list and a vehicle's card, demo cars, the marked-price and stock-receive forms; and the pages where store
administrators edit the shared catalogue (brands, series, trims, colours, options).

Reads go through selectors (not visible → 404), writes through services; a ValidationError re-renders the page
with the errors under the fields (400), a refused business move is shown as a message, success redirects.
The store being worked in is chosen with ?store=<code> and remembered in the session (as on the home page).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Prefetch
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.core.errors import DomainError
from dealerdesk.core.pagination import keyset_page

from . import selectors, services
from .choices import ColourKind, DemoStatus, Origin, StockStatus
from .forms import (
    BrandForm,
    CatalogFilterForm,
    ColourForm,
    DemoFlagForm,
    DemoUpdateForm,
    MarkedPriceForm,
    OptionForm,
    SeriesForm,
    StockFilterForm,
    StockReceiveForm,
    StockUpdateForm,
    TrimForm,
    apply_errors,
    wan_to_yuan,
)
from .models import Brand, Colour, Option, Series, StockVehicle, Trim

LIST_SIZE = 50
INSURANCE_WARNING_DAYS = 30


# ---------------------------------------------------------------- helpers


def _stores(request: HttpRequest) -> list[Store]:
    return list(store_visible_to(request.user).order_by("group_id", "code"))


def _current_store(request: HttpRequest, stores: list[Store]) -> Store | None:
    """The store chosen with ?store=<code> (remembered in the session), else the remembered one, else the first."""
    wanted = request.GET.get("store") or request.POST.get("store") or request.session.get("store_code")
    for store in stores:
        if store.code == wanted:
            request.session["store_code"] = store.code
            return store
    return stores[0] if stores else None


def _store_context(request: HttpRequest) -> tuple[list[Store], Store | None]:
    stores = _stores(request)
    return stores, _current_store(request, stores)


def _vehicle_or_404(request: HttpRequest, pk: int) -> StockVehicle:
    try:
        return selectors.stock_get(request.user, pk)
    except StockVehicle.DoesNotExist:
        raise Http404 from None


def _demo_rows(vehicles: list[StockVehicle]) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [
        {
            "car": car,
            "insurance_warning": selectors.insurance_expiring(car, days=INSURANCE_WARNING_DAYS, today=today),
            "insurance_expired": bool(car.insurance_expires_on and car.insurance_expires_on < today),
        }
        for car in vehicles
    ]


# ---------------------------------------------------------------- catalogue


@login_required
def catalog_home(request: HttpRequest) -> HttpResponse:
    """Brands → series → trims the store sells, with specs, MSRP, the store's marked price and stock on hand."""
    stores, store = _store_context(request)
    form = CatalogFilterForm(request.GET or None)
    tree: list = []
    stock_counts: dict[int, int] = {}
    if store is not None:
        trims = selectors.with_marked_price(selectors.trims_sold_by(store), store).annotate(
            price=Coalesce(F("marked_price"), F("msrp"))
        )
        if form.is_valid():
            data = form.cleaned_data
            if data["energy_type"]:
                trims = trims.filter(energy_type=data["energy_type"])
            if data["body_type"]:
                trims = trims.filter(body_type=data["body_type"])
            if (low := wan_to_yuan(data["price_min"])) is not None:
                trims = trims.filter(price__gte=low)
            if (high := wan_to_yuan(data["price_max"])) is not None:
                trims = trims.filter(price__lte=high)
        tree = selectors.catalog_tree(trims)
        stock_counts = selectors.stock_counts_by_trim(store)
    context = {
        "stores": stores,
        "store": store,
        "form": form,
        "tree": tree,
        "stock_counts": stock_counts,
        "trim_count": sum(node.trim_count for node in tree),
        "can_receive": bool(store and user_can(request.user, "stock.manage", store)),
    }
    return render(request, "catalog/home.html", context)


def _trim_context(request: HttpRequest, trim: Trim, store: Store | None, stores: list[Store], **extra) -> dict:
    sold = bool(store and selectors.store_sells_trim(store, trim))
    in_force = selectors.marked_price_in_force(store, trim) if sold else None
    colours = list(trim.colours.all())
    return {
        "trim": trim,
        "store": store,
        "stores": stores,
        "sold": sold,
        "in_force": in_force,
        "history": selectors.marked_price_history(store, trim) if sold else [],
        "stock": selectors.stock_of_trim(store, trim) if sold else [],
        "exteriors": [c for c in colours if c.kind == "exterior"],
        "interiors": [c for c in colours if c.kind == "interior"],
        "options": list(trim.options.all()),
        "can_set_price": sold and user_can(request.user, "store.manage", store),
        "can_edit_catalogue": may_edit_catalogue(request.user),
        "colour_form": ColourForm(prefix="colour", initial={"kind": ColourKind.EXTERIOR}),
        "option_form": OptionForm(prefix="option"),
        "now": timezone.now(),
        **extra,
    }


def _trim_or_404(pk: int) -> Trim:
    try:
        return selectors.trim_get(pk)
    except Trim.DoesNotExist:
        raise Http404 from None


@login_required
def trim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A trim's card: specifications, colours, options, the store's marked price with its history, its stock."""
    stores, store = _store_context(request)
    if store is None:
        raise Http404
    trim = _trim_or_404(pk)
    return render(
        request, "catalog/trim_detail.html", _trim_context(request, trim, store, stores, form=MarkedPriceForm())
    )


@login_required
@require_POST
def marked_price_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the store's marked price of a trim (store admins)."""
    stores, store = _store_context(request)
    if store is None:
        raise Http404
    trim = _trim_or_404(pk)
    form = MarkedPriceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            marked = services.marked_price_set(
                actor=request.user,
                store=store,
                trim=trim,
                price=data["price"],
                valid_from=data["valid_from"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)  # the form is not shown when the store may not price this trim
        else:
            messages.success(request, _("The marked price is now ¥%(price)s.") % {"price": f"{marked.price:,.2f}"})
            return redirect(f"{reverse('catalog_trim_detail', args=[trim.pk])}?store={store.code}")
    context = _trim_context(request, trim, store, stores, form=form)
    return render(request, "catalog/trim_detail.html", context, status=400)


# ---------------------------------------------------------------- stock


@login_required
def stock_list(request: HttpRequest) -> HttpResponse:
    """The store's stock, newest first, filtered by status, trim and demo flag; keyset pages."""
    stores, store = _store_context(request)
    trims = list(selectors.trims_sold_by(store)) if store else []
    form = StockFilterForm(request.GET or None, trims=trims)
    qs = selectors.stock_visible_to(request.user)
    qs = qs.filter(store=store) if store else qs.none()
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["trim"]:
            qs = qs.filter(trim_id=data["trim"])
        if data["demo"]:
            qs = qs.filter(is_demo=data["demo"] == "1")
    page = keyset_page(qs, cursor=request.GET.get("after"), size=LIST_SIZE)
    context = {
        "stores": stores,
        "store": store,
        "form": form,
        "page": page,
        "today": timezone.localdate(),
        "can_receive": bool(store and user_can(request.user, "stock.manage", store)),
    }
    return render(request, "catalog/stock_list.html", context)


def _stock_context(request: HttpRequest, vehicle: StockVehicle, **forms) -> dict[str, Any]:
    user = request.user
    manage = user_can(user, "fleet.manage", vehicle)
    context = {
        "vehicle": vehicle,
        "row": _demo_rows([vehicle])[0],
        "options": list(vehicle.options.all()),
        "moves": [StockStatus(s) for s in services.stock_moves_allowed(vehicle)]
        if user_can(user, "sales.sell", vehicle)
        else [],
        "can_manage": manage,
        "can_flag": manage and not vehicle.is_demo and vehicle.status == StockStatus.IN_STOCK,
        "update_form": forms.get("update_form")
        or StockUpdateForm(initial={"location": vehicle.location, "certificate_holder": vehicle.certificate_holder}),
        "flag_form": forms.get("flag_form") or DemoFlagForm(initial={"odometer_km": vehicle.odometer_km}),
        "demo_form": forms.get("demo_form")
        or DemoUpdateForm(initial={"plate": vehicle.plate, "insurance_expires_on": vehicle.insurance_expires_on}),
    }
    return context


@login_required
def stock_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A stock vehicle's card with the moves allowed now and, for a demo car, its plate, insurance and odometer."""
    vehicle = _vehicle_or_404(request, pk)
    return render(request, "catalog/stock_detail.html", _stock_context(request, vehicle))


def _stock_post(request: HttpRequest, pk: int, form_class, form_key: str, act) -> HttpResponse:
    """Run one stock action from a form: success → message and back to the card; bad input → the card with errors."""
    vehicle = _vehicle_or_404(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = act(vehicle, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("catalog_stock_detail", pk=vehicle.pk)
        else:
            messages.success(request, message)
            return redirect("catalog_stock_detail", pk=vehicle.pk)
    context = _stock_context(request, vehicle, **{form_key: form})
    return render(request, "catalog/stock_detail.html", context, status=400)


@login_required
@require_POST
def stock_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a vehicle to another stock status (only the allowed moves are offered)."""
    vehicle = _vehicle_or_404(request, pk)
    status = request.POST.get("status", "")
    try:
        vehicle = services.stock_change_status(actor=request.user, vehicle=vehicle, status=status)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The vehicle is now “%(status)s”.") % {"status": vehicle.get_status_display()})
    return redirect("catalog_stock_detail", pk=vehicle.pk)


@login_required
@require_POST
def stock_update(request: HttpRequest, pk: int) -> HttpResponse:
    def act(vehicle: StockVehicle, data: dict) -> str:
        services.stock_update(actor=request.user, vehicle=vehicle, **data)
        return _("Saved.")

    return _stock_post(request, pk, StockUpdateForm, "update_form", act)


@login_required
@require_POST
def demo_car_flag(request: HttpRequest, pk: int) -> HttpResponse:
    def act(vehicle: StockVehicle, data: dict) -> str:
        services.demo_car_flag(actor=request.user, vehicle=vehicle, **data)
        return _("The vehicle is now a demo car.")

    return _stock_post(request, pk, DemoFlagForm, "flag_form", act)


@login_required
@require_POST
def demo_car_update(request: HttpRequest, pk: int) -> HttpResponse:
    def act(vehicle: StockVehicle, data: dict) -> str:
        services.demo_car_update(actor=request.user, vehicle=vehicle, **data)
        return _("Saved.")

    return _stock_post(request, pk, DemoUpdateForm, "demo_form", act)


@login_required
@require_http_methods(["GET", "POST"])
def stock_receive(request: HttpRequest) -> HttpResponse:
    """Receive a vehicle into the store's stock. Changing the trim reloads its colours and options (htmx)."""
    stores, store = _store_context(request)
    if store is None or not user_can(request.user, "stock.manage", store):
        raise Http404
    trims = list(selectors.trims_sold_by(store))
    source = request.POST if request.method == "POST" else request.GET
    trim_id = source.get("trim")
    trim_id = int(trim_id) if trim_id and trim_id.isdigit() else None
    colours = list(Colour.objects.filter(trim_id=trim_id)) if trim_id else []
    options = list(Option.objects.filter(trim_id=trim_id)) if trim_id else []
    if request.method == "GET":
        initial = {"status": StockStatus.IN_TRANSIT, "certificate_holder": "store", "trim": trim_id}
        form = StockReceiveForm(initial=initial, trims=trims, colours=colours, options=options, hx_url=request.path)
        return render(request, "catalog/stock_receive.html", {"form": form, "store": store, "stores": stores})
    # The trim is looked up among all trims, so that the service can say "this store does not sell …".
    all_trims = trims + [t for t in Trim.objects.filter(pk=trim_id).select_related("series") if t not in trims]
    form = StockReceiveForm(request.POST, trims=all_trims, colours=colours, options=options, hx_url=request.path)
    if form.is_valid():
        data = form.cleaned_data
        by_id = {c.pk: c for c in colours}
        try:
            vehicle = services.stock_receive(
                actor=request.user,
                store=store,
                vin=data["vin"],
                trim=next(t for t in all_trims if t.pk == data["trim"]),
                exterior=by_id.get(data["exterior"]),
                interior=by_id.get(data["interior"]),
                options=[o for o in options if o.pk in set(data["options"])],
                status=data["status"],
                location=data["location"],
                arrived_on=data["arrived_on"],
                certificate_holder=data["certificate_holder"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("Vehicle %(vin)s received.") % {"vin": vehicle.vin})
            return redirect("catalog_stock_detail", pk=vehicle.pk)
    context = {"form": form, "store": store, "stores": stores}
    return render(request, "catalog/stock_receive.html", context, status=400)


@login_required
def demo_car_list(request: HttpRequest) -> HttpResponse:
    """The store's demo cars: status, plate, insurance expiry (warned 30 days ahead), odometer."""
    stores, store = _store_context(request)
    qs = selectors.demo_cars_visible_to(request.user)
    qs = qs.filter(store=store) if store else qs.none()
    status = request.GET.get("demo_status", "")
    if status in DemoStatus.values:
        qs = qs.filter(demo_status=status)
    page = keyset_page(qs, cursor=request.GET.get("after"), size=LIST_SIZE)
    context = {
        "stores": stores,
        "store": store,
        "page": page,
        "rows": _demo_rows(page.items),
        "statuses": DemoStatus.choices,
        "demo_status": status,
    }
    return render(request, "catalog/demo_cars.html", context)


# ---------------------------------------------------------------- editing the shared catalogue
#
# The catalogue (brands, series, trims, colours, options) is the group's: a store administrator of any store
# (`store.manage` somewhere) edits it. Everyone signed in may read the brand and series lists; the forms answer 404
# to anyone else, and the pages show edit links only to those who may. Nothing is deleted: series and trims are
# taken off sale (is_active false).


def may_edit_catalogue(user) -> bool:
    """Whether the user may edit the shared catalogue (the rule the services apply)."""
    return user_can(user, "store.manage")


def _editor_or_404(request: HttpRequest) -> None:
    if not may_edit_catalogue(request.user):
        raise Http404


def _object_or_404(queryset, pk: int):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _trim_url(trim: Trim, anchor: str = "") -> str:
    return reverse("catalog_trim_detail", args=[trim.pk]) + (f"#{anchor}" if anchor else "")


def _series_list_url(brand_id: int, series_id: int | None = None) -> str:
    url = reverse("catalog_series_list", args=[brand_id])
    return f"{url}#series-{series_id}" if series_id else url


def _run_service(form, act) -> Any:
    """Call the service with the form's data: its ValidationError lands on the fields; a refusal on the form."""
    if not form.is_valid():
        return None
    try:
        return act(form.service_fields())
    except ValidationError as exc:
        apply_errors(form, exc)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
    return None


def _edit_page(request: HttpRequest, form, *, title: str, back_url: str, crumbs: list, status: int) -> HttpResponse:
    context = {"form": form, "title": title, "back_url": back_url, "crumbs": crumbs}
    return render(request, "catalog/edit_form.html", context, status=status)


@login_required
def brand_list(request: HttpRequest) -> HttpResponse:
    """Every brand of the group's catalogue with its number of series; whether the current store sells it."""
    stores, store = _store_context(request)
    brands = list(Brand.objects.annotate(series_count=Count("series")).order_by("code"))
    context = {
        "stores": stores,
        "store": store,
        "brands": brands,
        "sold_ids": {b.pk for b in brands if store and selectors.store_sells_brand(store, b)},
        "can_edit": may_edit_catalogue(request.user),
    }
    return render(request, "catalog/brand_list.html", context)


def _brand_form(request: HttpRequest, brand: Brand | None) -> HttpResponse:
    initial = BrandForm.initial_for(brand) if brand else None
    form = BrandForm(request.POST if request.method == "POST" else None, initial=initial)
    if brand is not None:
        form.fields["code"].help_text = _(
            "Stores list the brands they sell by this code: after changing it, update the settings of the stores "
            "that sell %(name)s."
        ) % {"name": brand.name}
    if request.method == "POST":
        if brand is None:
            saved = _run_service(form, lambda data: services.brand_create(actor=request.user, **data))
            message = _("The brand %(name)s is added.")
        else:
            saved = _run_service(form, lambda data: services.brand_update(actor=request.user, brand=brand, **data))
            message = _("The brand %(name)s is saved.")
        if saved is not None:
            messages.success(request, message % {"name": saved.name})
            return redirect("catalog_brand_list")
    crumbs = [(reverse("catalog_brand_list"), _("Brands"))]
    title = _("New brand") if brand is None else _("Edit brand %(name)s") % {"name": brand.name}
    back = reverse("catalog_brand_list")
    return _edit_page(request, form, title=title, back_url=back, crumbs=crumbs, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def brand_create(request: HttpRequest) -> HttpResponse:
    """Add a brand (store administrators)."""
    _editor_or_404(request)
    return _brand_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def brand_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a brand's code or names (store administrators)."""
    _editor_or_404(request)
    return _brand_form(request, _object_or_404(Brand.objects.all(), pk))


@login_required
def series_list(request: HttpRequest, pk: int) -> HttpResponse:
    """A brand's series, on sale or not, each with all its trims (3 queries whatever the size)."""
    stores, store = _store_context(request)
    brand = _object_or_404(Brand.objects.all(), pk)
    series = list(
        brand.series.order_by("-is_active", "code").prefetch_related(
            Prefetch("trims", queryset=Trim.objects.order_by("-is_active", "-model_year", "msrp", "id"))
        )
    )
    context = {
        "stores": stores,
        "store": store,
        "brand": brand,
        "series_list": series,
        "sold": bool(store and selectors.store_sells_brand(store, brand)),
        "can_edit": may_edit_catalogue(request.user),
    }
    return render(request, "catalog/series_list.html", context)


def _series_form(request: HttpRequest, brand: Brand, series: Series | None) -> HttpResponse:
    initial = SeriesForm.initial_for(series) if series else {"is_active": True}
    form = SeriesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if series is None:
            saved = _run_service(form, lambda data: services.series_create(actor=request.user, brand=brand, **data))
            message = _("The series %(name)s is added.")
        else:
            saved = _run_service(form, lambda data: services.series_update(actor=request.user, series=series, **data))
            message = _("The series %(name)s is saved.")
        if saved is not None:
            messages.success(request, message % {"name": saved.name})
            return redirect(_series_list_url(brand.pk, saved.pk))
    back = _series_list_url(brand.pk, series.pk if series else None)
    crumbs = [(reverse("catalog_brand_list"), _("Brands")), (_series_list_url(brand.pk), brand.name)]
    title = (
        _("New series of %(brand)s") % {"brand": brand.name}
        if series is None
        else _("Edit series %(name)s") % {"name": series.name}
    )
    return _edit_page(request, form, title=title, back_url=back, crumbs=crumbs, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def series_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a series to a brand (store administrators)."""
    _editor_or_404(request)
    return _series_form(request, _object_or_404(Brand.objects.all(), pk), None)


@login_required
@require_http_methods(["GET", "POST"])
def series_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a series or take it off sale (store administrators)."""
    _editor_or_404(request)
    series = _object_or_404(Series.objects.select_related("brand"), pk)
    return _series_form(request, series.brand, series)


def _trim_form(request: HttpRequest, series: Series, trim: Trim | None) -> HttpResponse:
    if trim is None:
        initial = {"body_type": series.body_type, "is_active": True, "origin": Origin.DOMESTIC}
    else:
        initial = TrimForm.initial_for(trim)
    form = TrimForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if trim is None:
            saved = _run_service(form, lambda data: services.trim_create(actor=request.user, series=series, **data))
            message = _("The trim %(name)s is added; now add its colours and options.")
        else:
            saved = _run_service(form, lambda data: services.trim_update(actor=request.user, trim=trim, **data))
            message = _("The trim %(name)s is saved.")
        if saved is not None:
            messages.success(request, message % {"name": saved.name})
            return redirect(_trim_url(saved))
    context = {
        "form": form,
        "series": series,
        "trim": trim,
        "back_url": _trim_url(trim) if trim else _series_list_url(series.brand_id, series.pk),
    }
    return render(request, "catalog/trim_form.html", context, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def trim_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a trim with all its specifications to a series (store administrators)."""
    _editor_or_404(request)
    return _trim_form(request, _object_or_404(Series.objects.select_related("brand"), pk), None)


@login_required
@require_http_methods(["GET", "POST"])
def trim_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a trim's specifications or MSRP, or take it off sale (store administrators)."""
    _editor_or_404(request)
    trim = _object_or_404(Trim.objects.select_related("series__brand"), pk)
    return _trim_form(request, trim.series, trim)


# Colours and options are added inline on the trim's card (htmx swaps the section; without JavaScript the form posts
# and the page comes back) and changed on a page of their own.

_SECTIONS = {
    "colour": ("catalog/_colours.html", "colours"),
    "option": ("catalog/_options.html", "options"),
}


def _section_context(request: HttpRequest, trim: Trim, **extra) -> dict[str, Any]:
    colours = list(trim.colours.order_by("kind", "extra_price", "id"))
    return {
        "trim": trim,
        "exteriors": [c for c in colours if c.kind == ColourKind.EXTERIOR],
        "interiors": [c for c in colours if c.kind == ColourKind.INTERIOR],
        "options": list(trim.options.order_by("price", "id")),
        "can_edit_catalogue": may_edit_catalogue(request.user),
        "colour_form": ColourForm(prefix="colour", initial={"kind": ColourKind.EXTERIOR}),
        "option_form": OptionForm(prefix="option"),
        **extra,
    }


def _add_to_trim(request: HttpRequest, pk: int, kind: str, form_class, create) -> HttpResponse:
    _editor_or_404(request)
    trim = _trim_or_404(pk)
    form = form_class(request.POST, prefix=kind)
    saved = _run_service(form, lambda data: create(trim, data))
    template, anchor = _SECTIONS[kind]
    if saved is not None:
        text = (_("The colour %(name)s is added.") if kind == "colour" else _("The option %(name)s is added.")) % {
            "name": saved.name
        }
        if request.htmx:
            return render(request, template, _section_context(request, trim, saved_message=text))
        messages.success(request, text)
        return redirect(_trim_url(trim, anchor))
    if request.htmx:  # htmx swaps 2xx answers only: the section comes back with the errors under the fields
        return render(request, template, _section_context(request, trim, **{f"{kind}_form": form}))
    stores, store = _store_context(request)
    if store is None:
        raise Http404
    context = _trim_context(request, trim, store, stores, form=MarkedPriceForm(), **{f"{kind}_form": form})
    return render(request, "catalog/trim_detail.html", context, status=400)


@login_required
@require_POST
def colour_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer a colour on a trim (store administrators)."""
    return _add_to_trim(
        request,
        pk,
        "colour",
        ColourForm,
        lambda trim, data: services.colour_create(actor=request.user, trim=trim, **data),
    )


@login_required
@require_POST
def option_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer an option or package on a trim (store administrators)."""
    return _add_to_trim(
        request,
        pk,
        "option",
        OptionForm,
        lambda trim, data: services.option_create(actor=request.user, trim=trim, **data),
    )


def _trim_part_crumbs(trim: Trim) -> list:
    return [
        (reverse("catalog_brand_list"), _("Brands")),
        (_series_list_url(trim.series.brand_id), trim.series.brand.name),
        (_trim_url(trim), f"{trim.series.name} {trim.name}"),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def colour_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a colour's kind, code, name or extra price (store administrators)."""
    _editor_or_404(request)
    colour = _object_or_404(Colour.objects.select_related("trim__series__brand"), pk)
    form = ColourForm(
        request.POST if request.method == "POST" else None, prefix="colour", initial=ColourForm.initial_for(colour)
    )
    if request.method == "POST":
        saved = _run_service(form, lambda data: services.colour_update(actor=request.user, colour=colour, **data))
        if saved is not None:
            messages.success(request, _("The colour %(name)s is saved.") % {"name": saved.name})
            return redirect(_trim_url(colour.trim, "colours"))
    return _edit_page(
        request,
        form,
        title=_("Edit colour %(name)s") % {"name": colour.name},
        back_url=_trim_url(colour.trim, "colours"),
        crumbs=_trim_part_crumbs(colour.trim),
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def option_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an option's code, name, price or contents (store administrators)."""
    _editor_or_404(request)
    option = _object_or_404(Option.objects.select_related("trim__series__brand"), pk)
    form = OptionForm(
        request.POST if request.method == "POST" else None, prefix="option", initial=OptionForm.initial_for(option)
    )
    if request.method == "POST":
        saved = _run_service(form, lambda data: services.option_update(actor=request.user, option=option, **data))
        if saved is not None:
            messages.success(request, _("The option %(name)s is saved.") % {"name": saved.name})
            return redirect(_trim_url(option.trim, "options"))
    return _edit_page(
        request,
        form,
        title=_("Edit option %(name)s") % {"name": option.name},
        back_url=_trim_url(option.trim, "options"),
        crumbs=_trim_part_crumbs(option.trim),
        status=400 if form.is_bound else 200,
    )
