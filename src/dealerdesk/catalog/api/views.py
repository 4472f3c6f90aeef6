"""Catalogue and stock over the API. Reads start from the selectors (stock not visible → 404); every state change
is an explicit action with an input serializer that calls one service."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework import status as http
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.core.api import ERRORS, query_id
from dealerdesk.core.api import error_responses as _errors
from dealerdesk.core.pagination import KeysetPagination

from .. import selectors, services
from ..models import Brand, Series, StockVehicle, Trim
from . import serializers as s
from .filters import SeriesFilter, StockFilter, TrimFilter

STORE_PARAMETER = OpenApiParameter(
    "store",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    description="Store id whose marked prices are shown (default: the first of the caller's stores).",
)
SOLD_PARAMETER = OpenApiParameter(
    "sold",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="`true`: only trims on sale of the brands that store sells.",
)


def _store_for_write(request: Request, store_id: int | None) -> Store:
    """The store named in the body (one the caller works in), or the caller's only store."""
    stores = store_visible_to(request.user)
    if store_id is not None:
        store = stores.filter(pk=store_id).first()
        if store is None:
            raise ValidationError({"store": [_("You do not work in this store.")]})
        return store
    candidates = list(stores.order_by("pk")[:2])
    if len(candidates) != 1:
        raise ValidationError({"store": [_("Choose the store (you work in several).")]})
    return candidates[0]


def _store_for_prices(request: Request) -> Store | None:
    """The store asked about with ?store=<id> (one the caller sees), else the caller's first store."""
    stores = store_visible_to(request.user).order_by("pk")
    wanted = query_id(request, "store")
    if wanted is not None:
        return stores.filter(pk=wanted).first()
    return stores.first()


# ---------------------------------------------------------------- catalogue


@extend_schema_view(
    list=extend_schema(summary="List brands"),
    retrieve=extend_schema(summary="One brand", responses={200: s.BrandSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["catalogue"])
class BrandViewSet(viewsets.ReadOnlyModelViewSet):
    """The group's brands (the catalogue is shared by every store)."""

    serializer_class = s.BrandSerializer
    pagination_class = KeysetPagination
    queryset = Brand.objects.all()


@extend_schema_view(
    list=extend_schema(summary="List series"),
    retrieve=extend_schema(summary="One series", responses={200: s.SeriesSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["catalogue"])
class SeriesViewSet(viewsets.ReadOnlyModelViewSet):
    """Series (车系) with their brand."""

    serializer_class = s.SeriesSerializer
    filterset_class = SeriesFilter
    pagination_class = KeysetPagination
    queryset = Series.objects.select_related("brand")


@extend_schema_view(
    list=extend_schema(summary="List trims", parameters=[STORE_PARAMETER, SOLD_PARAMETER]),
    retrieve=extend_schema(
        summary="One trim", parameters=[STORE_PARAMETER], responses={200: s.TrimSerializer, 404: ERRORS[404]}
    ),
)
@extend_schema(tags=["catalogue"])
class TrimViewSet(viewsets.ReadOnlyModelViewSet):
    """Trims with specifications, colours, options, MSRP and the marked price in force in a store of the caller."""

    serializer_class = s.TrimSerializer
    filterset_class = TrimFilter
    pagination_class = KeysetPagination
    queryset = Trim.objects.none()  # for schema introspection; requests use get_queryset

    def get_queryset(self) -> QuerySet[Trim]:
        store = _store_for_prices(self.request)
        sold = self.request.query_params.get("sold", "").lower() in {"true", "1"}
        trims = Trim.objects.all()
        if sold:
            trims = selectors.trims_sold_by(store) if store else Trim.objects.none()
        return selectors.trims_with_details(selectors.with_marked_price(trims, store))

    @extend_schema(
        summary="Set the store's marked price",
        description="Store administrators only; the store must sell the trim's brand. Earlier prices stay as history.",
        request=s.MarkedPriceRequestSerializer,
        responses={201: s.MarkedPriceSerializer, **_errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="marked-price", filter_backends=[], pagination_class=None)
    def marked_price(self, request: Request, pk: str) -> Response:
        trim = self.get_object()
        data = s.MarkedPriceRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        store = _store_for_write(request, values.pop("store", None))
        marked = services.marked_price_set(actor=request.user, store=store, trim=trim, **values)
        return Response(s.MarkedPriceSerializer(marked).data, status=http.HTTP_201_CREATED)


# ---------------------------------------------------------------- stock


@extend_schema_view(
    list=extend_schema(summary="List stock vehicles"),
    retrieve=extend_schema(summary="One stock vehicle", responses={200: s.StockVehicleSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["stock"])
class StockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stock vehicles and demo cars of the caller's stores; receiving and moving them are explicit actions."""

    serializer_class = s.StockVehicleSerializer
    filterset_class = StockFilter
    pagination_class = KeysetPagination
    queryset = StockVehicle.objects.none()  # for schema introspection; requests use get_queryset

    def get_queryset(self) -> QuerySet[StockVehicle]:
        return selectors.stock_visible_to(self.request.user).prefetch_related("options")

    def _answer(self, vehicle: StockVehicle, code: int = http.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=vehicle.pk)
        return Response(s.StockVehicleSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Receive a vehicle into stock",
        description="Store administrators. The VIN is validated (check digit); a VIN already in any store's stock "
        "is refused with 409 `vin_in_stock`; the store must sell the trim's brand (400 `brand_not_sold`); colours "
        "and options must be the trim's.",
        request=s.StockReceiveSerializer,
        responses={
            201: s.StockVehicleSerializer,
            **_errors(400, 403),
            409: OpenApiResponse(description="`vin_in_stock`, with `existing_id` when it is in the same store"),
        },
    )
    def create(self, request: Request) -> Response:
        data = s.StockReceiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        store = _store_for_write(request, values.pop("store", None))
        vehicle = services.stock_receive(actor=request.user, store=store, **values)
        return self._answer(vehicle, http.HTTP_201_CREATED)

    @extend_schema(
        summary="Move to another stock status",
        description="Allowed: in transit → in stock; in stock → reserved or sold; reserved → in stock or sold; "
        "sold → delivered or back in stock. Other moves: 409 `stock_move_refused`.",
        request=s.StockStatusRequestSerializer,
        responses={200: s.StockVehicleSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def status(self, request: Request, pk: str) -> Response:
        vehicle = self.get_object()
        data = s.StockStatusRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vehicle = services.stock_change_status(
            actor=request.user, vehicle=vehicle, status=data.validated_data["status"]
        )
        return self._answer(vehicle)

    @extend_schema(
        summary="Make it a demo car",
        request=s.DemoFlagRequestSerializer,
        responses={200: s.StockVehicleSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="demo", filter_backends=[], pagination_class=None)
    def demo(self, request: Request, pk: str) -> Response:
        vehicle = self.get_object()
        data = s.DemoFlagRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.demo_car_flag(actor=request.user, vehicle=vehicle, **data.validated_data))
