"""Promotions and offers over the API. Reads start from the selectors (not visible → 404); every write is one
service call with a parsed input."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dealerdesk.accounts.models import DealerGroup
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.catalog.models import Brand, Series, Trim
from dealerdesk.core.api import ERRORS, IDEMPOTENCY_HEADER, FirstRendererNegotiation, idempotent, no_input, query_id
from dealerdesk.core.api import error_responses as _errors
from dealerdesk.core.errors import NotPermitted
from dealerdesk.core.pagination import KeysetPagination
from dealerdesk.customers.selectors import customer_visible_to

from .. import selectors, services
from ..models import Offer, Promotion
from ..pdf import offer_pdf
from . import serializers as s

# ---------------------------------------------------------------- promotions


def _catalogue_refs(data: dict) -> dict:
    """Brand/series/trim ids → rows, or a field error."""
    values = dict(data)
    for name, model in (("brand", Brand), ("series", Series), ("trim", Trim)):
        if name in values and values[name] is not None:
            rows = model.objects.select_related("series") if model is Trim else model.objects.all()
            row = rows.filter(pk=values[name]).first()
            if row is None:
                raise ValidationError({name: [_("There is no such %(what)s.") % {"what": model._meta.verbose_name}]})
            values[name] = row
    return values


@extend_schema_view(
    list=extend_schema(summary="List promotions", responses={200: s.PromotionSerializer(many=True)}),
    retrieve=extend_schema(summary="One promotion", responses={200: s.PromotionSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["promotions"])
class PromotionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Promotions of the caller's stores and the group-wide ones. Store administrators create and change them."""

    serializer_class = s.PromotionSerializer
    pagination_class = KeysetPagination
    queryset = Promotion.objects.none()

    def get_queryset(self) -> QuerySet[Promotion]:
        qs = selectors.promotion_visible_to(self.request.user)
        if self.action == "list":
            store_id = query_id(self.request, "store")
            if store_id is not None:
                qs = qs.filter(store_id=store_id)
            if self.request.query_params.get("active") in ("true", "1"):
                qs = qs.filter(is_active=True)
        return qs

    @extend_schema(
        summary="Create a promotion",
        request=s.PromotionWriteSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.PromotionSerializer, **_errors(400, 403)},
    )
    def create(self, request: Request) -> Response:
        data = s.PromotionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = _catalogue_refs(data.validated_data)

        def create() -> Promotion:
            store_id = values.pop("store", None)
            stores = store_visible_to(request.user)
            group = None
            if store_id is not None:
                store = stores.filter(pk=store_id).first()
                if store is None:
                    raise ValidationError({"store": [_("You do not work in this store.")]})
            else:
                store = None
                groups = list(DealerGroup.objects.filter(stores__in=stores).distinct()[:2])
                if len(groups) != 1:
                    raise ValidationError({"store": [_("Choose the store the promotion is for.")]})
                group = groups[0]
            return services.promotion_create(actor=request.user, store=store, group=group, **values)

        promotion, _replayed = idempotent(
            request,
            scope="promotions.create",
            create=create,
            replay=lambda pk: self.get_queryset().filter(pk=pk).first(),
        )
        return Response(s.PromotionSerializer(promotion).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a promotion",
        request=s.PromotionChangeSerializer,
        responses={200: s.PromotionSerializer, **_errors(400, 403, 404)},
    )
    def update(self, request: Request, pk: str) -> Response:
        return self._change(request, partial=False)

    @extend_schema(
        summary="Change some fields of a promotion",
        request=s.PromotionChangeSerializer,
        responses={200: s.PromotionSerializer, **_errors(400, 403, 404)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        return self._change(request, partial=True)

    def _change(self, request: Request, *, partial: bool) -> Response:
        promotion = self.get_object()
        data = s.PromotionChangeSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = _catalogue_refs(data.validated_data)
        promotion = services.promotion_update(actor=request.user, promotion=promotion, **values)
        return Response(s.PromotionSerializer(selectors.promotion_visible_to(request.user).get(pk=promotion.pk)).data)


# ---------------------------------------------------------------- offers


@extend_schema_view(
    list=extend_schema(summary="List offers", responses={200: s.OfferSerializer(many=True)}),
    retrieve=extend_schema(summary="One offer", responses={200: s.OfferSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["offers"])
class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Offers: a consultant's own, the whole store's for managers. Each answer shows the current version."""

    serializer_class = s.OfferSerializer
    pagination_class = KeysetPagination
    queryset = Offer.objects.none()

    def get_queryset(self) -> QuerySet[Offer]:
        qs = selectors.offers_with_lines(selectors.offer_list_for(self.request.user))
        if self.action == "list":
            params = self.request.query_params
            if params.get("status"):
                qs = qs.filter(status=params["status"])
            customer_id = query_id(self.request, "customer")
            if customer_id is not None:
                qs = qs.filter(customer_id=customer_id)
        return qs

    def _answer(self, offer: Offer, code: int = status.HTTP_200_OK) -> Response:
        offer = self.get_queryset().get(pk=offer.pk)
        return Response(s.OfferSerializer(offer).data, status=code)

    @extend_schema(
        summary="Make an offer",
        description="Judges every promotion of the store for this customer and vehicle (eligible or not, with the "
        "reasons), applies the best legal combination (or the `promotions` given), prices every line and saves "
        "version 1. An extra discount above the consultant's limit, or a promotion that needs it, sends the offer "
        "to a sales manager (`pending_approval`).",
        request=s.OfferCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.OfferSerializer, **_errors(400, 403)},
    )
    def create(self, request: Request) -> Response:
        data = s.OfferCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def create() -> Offer:
            customer = customer_visible_to(request.user).filter(pk=data.validated_data["customer"]).first()
            if customer is None:
                raise ValidationError({"customer": [_("There is no such customer, or you may not see them.")]})
            return services.offer_create(
                actor=request.user, customer=customer, request=services.request_from_data(data.validated_data)
            )

        offer, _replayed = idempotent(
            request,
            scope="offers.create",
            create=create,
            replay=lambda pk: Offer(pk=pk) if self.get_queryset().filter(pk=pk).exists() else None,
        )
        return self._answer(offer, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Price an offer without saving it",
        request=s.OfferCreateSerializer,
        responses={200: s.QuoteSerializer, **_errors(400)},
    )
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def preview(self, request: Request) -> Response:
        data = s.OfferCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = (
            customer_visible_to(request.user).select_related("store").filter(pk=data.validated_data["customer"]).first()
        )
        if customer is None:
            raise ValidationError({"customer": [_("There is no such customer, or you may not see them.")]})
        if not user_can(request.user, "sales.sell", customer.store):  # as the page: pricing is the sellers'
            raise NotPermitted(_("Only sales staff of the store can price offers."))
        offer_request = services.request_from_data(data.validated_data)
        quote = services.offer_quote(
            actor=request.user,
            store=customer.store,
            customer_context=services.context_for(offer_request, customer),
            request=offer_request,
        )
        return Response(s.quote_data(quote))

    @extend_schema(
        summary="Revise an offer (a new version)",
        request=s.OfferInputSerializer,
        responses={200: s.OfferSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def revise(self, request: Request, pk: str) -> Response:
        offer = self.get_object()
        data = s.OfferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = services.offer_revise(
            actor=request.user, offer=offer, request=services.request_from_data(data.validated_data)
        )
        return self._answer(offer)

    @extend_schema(
        summary="Approve an offer (sales managers)",
        request=s.DecisionSerializer,
        responses={200: s.OfferSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request: Request, pk: str) -> Response:
        offer = self.get_object()
        data = s.DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.offer_approve(actor=request.user, offer=offer, note=data.validated_data.get("note", ""))
        )

    @extend_schema(
        summary="Refuse an offer (sales managers), saying why",
        request=s.DecisionSerializer,
        responses={200: s.OfferSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def refuse(self, request: Request, pk: str) -> Response:
        offer = self.get_object()
        data = s.DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.offer_refuse(actor=request.user, offer=offer, note=data.validated_data.get("note", ""))
        )

    @extend_schema(
        summary="Record that the customer accepted the offer",
        request=None,
        responses={200: s.OfferSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._answer(services.offer_accept(actor=request.user, offer=self.get_object()))

    @extend_schema(
        summary="The offer as a PDF (Chinese)",
        parameters=[
            OpenApiParameter("version", OpenApiTypes.INT, description="An older version; default the current.")
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=FirstRendererNegotiation,
    )
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        offer = self.get_object()
        detail = selectors.offer_detail(request.user, offer.pk, version=query_id(request, "version"))
        content = offer_pdf(detail["offer"], detail["shown"], detail["lines"], language=request.LANGUAGE_CODE)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="offer-{detail["offer"].number}.pdf"'
        response["Cache-Control"] = "no-store"
        return response
