"""Visits, needs assessments and recommendations over the API. Reads start from the selectors (not visible → 404);
every state change is an explicit action with an input serializer that calls one service."""

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dealerdesk.accounts.models import Membership, Store
from dealerdesk.core.api import IDEMPOTENCY_HEADER, idempotent, no_input
from dealerdesk.core.api import error_responses as _errors
from dealerdesk.core.pagination import KeysetPagination
from dealerdesk.core.validators import parse_id
from dealerdesk.customers.selectors import customer_visible_to

from .. import selectors, services
from ..choices import VisitStatus
from ..models import NeedsAssessment, Visit
from ..recommend import as_dict, order_reasons
from . import serializers as s


def _store(request: Request, store_id: int | None, perm: str) -> Store:
    """The store asked for among those where the caller holds `perm`, or the only one; else a field error."""
    stores = selectors.stores_where(request.user, perm)
    if store_id is not None:
        for store in stores:
            if store.pk == store_id:
                return store
        raise ValidationError({"store": [_("You do not work in this store.")]})
    if len(stores) != 1:
        raise ValidationError({"store": [_("Choose the store (you work in several or none).")]})
    return stores[0]


# ---------------------------------------------------------------- visits


@extend_schema_view(
    list=extend_schema(
        summary="List visits",
        description="Today's visits (the store's local day) unless `date` says otherwise; newest first.",
        parameters=[s.VisitListQuerySerializer],
        responses={200: s.VisitSerializer(many=True), **_errors(400)},
    ),
    retrieve=extend_schema(summary="One visit", responses={200: s.VisitSerializer, **_errors(404)}),
)
@extend_schema(tags=["visits"])
class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Showroom visits (客流) of the caller's stores; a consultant sees the visits they serve."""

    serializer_class = s.VisitSerializer
    pagination_class = KeysetPagination
    filter_backends: list = []
    queryset = Visit.objects.none()  # for schema introspection; requests use get_queryset

    def get_queryset(self) -> QuerySet[Visit]:
        qs = (
            selectors.visit_visible_to(self.request.user)
            .select_related("customer", "consultant")
            .only(*selectors.BOARD_FIELDS)
        )
        if self.action != "list":
            return qs
        query = s.VisitListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if "store" in params:
            qs = qs.filter(store_id=params["store"])
        if params.get("status"):
            if params["status"] not in VisitStatus.values:
                raise ValidationError({"status": [_("Unknown visit status.")]})
            qs = qs.filter(status=params["status"])
        if "consultant" in params:
            qs = qs.filter(consultant_id=params["consultant"])
        if "customer" in params:
            qs = qs.filter(customer_id=params["customer"])
        day = params.get("date")
        # "Today" is the store's local day; with several stores (one time zone each) every store's own day counts.
        stores = selectors.stores_where(self.request.user, "store.view")
        if "store" in params:
            stores = [st for st in stores if st.pk == params["store"]]
        window = Q(pk__in=[])
        for store in stores:
            start, end = selectors.day_bounds(store, day or selectors.local_day(store))
            window |= Q(store_id=store.pk, arrived_at__gte=start, arrived_at__lt=end)
        return qs.filter(window)

    def _visit(self) -> Visit:
        pk = parse_id(self.kwargs.get("pk", ""))
        if pk is None:
            raise NotFound()
        try:
            return selectors.visit_get(self.request.user, pk)
        except Visit.DoesNotExist:
            raise NotFound() from None

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.VisitSerializer(self._visit(), context={"request": request}).data)

    def _answer(self, visit: Visit, code: int = status.HTTP_200_OK) -> Response:
        visit = Visit.objects.select_related("customer", "consultant").only(*selectors.BOARD_FIELDS).get(pk=visit.pk)
        return Response(s.VisitSerializer(visit, context={"request": self.request}).data, status=code)

    @extend_schema(
        summary="Log an arrival",
        description="The time is taken automatically. The visitor may stay anonymous and be linked later.",
        request=s.VisitArriveSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.VisitSerializer, **_errors(400, 403)},
    )
    def create(self, request: Request) -> Response:
        data = s.VisitArriveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)

        def create() -> Visit:
            store = _store(request, fields.pop("store", None), "store.view")
            customer_id = fields.pop("customer", None)
            customer = None
            if customer_id is not None:
                customer = customer_visible_to(request.user).filter(pk=customer_id, store=store).first()
                if customer is None:
                    raise ValidationError({"customer": [_("Choose a customer of this store.")]})
            return services.visit_arrive(actor=request.user, store=store, customer=customer, **fields)

        visit, _replayed = idempotent(
            request,
            scope="visits.arrive",
            create=create,
            replay=lambda pk: selectors.visit_visible_to(request.user).filter(pk=pk).first(),
        )
        return self._answer(visit, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Hand the visitor to a consultant",
        description="An explicit consultant, or (no `consultant`) the next one up in the store's rotation, which "
        "skips consultants who are with a visitor or absent today. The consultant is notified in the app.",
        request=s.VisitAssignSerializer,
        responses={200: s.VisitSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        visit = self._visit()
        data = s.VisitAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consultant = None
        consultant_id = data.validated_data["consultant"]
        if consultant_id is not None:
            membership = (
                Membership.objects.filter(store_id=visit.store_id, user_id=consultant_id, is_active=True)
                .select_related("user")
                .first()
            )
            if membership is None:
                raise ValidationError({"consultant": [_("Choose a sales consultant of this store.")]})
            consultant = membership.user
        return self._answer(services.visit_assign(actor=request.user, visit=visit, consultant=consultant))

    @extend_schema(
        summary="Record the departure",
        request=None,
        responses={200: s.VisitSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def leave(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._answer(services.visit_leave(actor=request.user, visit=self._visit()))

    @extend_schema(
        summary="Link the visit to a customer",
        description="Send `customer` (an id) to link a known customer, or `name` + `mobile` (+ `consents`) to "
        "quick-register one. A mobile the store already has links that customer instead (`created`: false).",
        request=s.VisitLinkCustomerSerializer,
        responses={200: s.VisitLinkResultSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="link-customer")
    def link_customer(self, request: Request, pk: str) -> Response:
        visit = self._visit()
        data = s.VisitLinkCustomerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["customer"] is not None:
            customer = customer_visible_to(request.user).filter(pk=values["customer"]).first()
            if customer is None:
                raise ValidationError({"customer": [_("Choose a customer of this store.")]})
            visit = services.visit_link_customer(actor=request.user, visit=visit, customer=customer)
            created = False
        else:
            visit, customer, created = services.visit_register_customer(
                actor=request.user,
                visit=visit,
                name=values["name"],
                mobile=values["mobile"],
                consents=values["consents"],
            )
        visit = Visit.objects.select_related("customer", "consultant").only(*selectors.BOARD_FIELDS).get(pk=visit.pk)
        body = {
            "visit": s.VisitSerializer(visit, context={"request": request}).data,
            "customer": customer.pk,
            "created": created,
        }
        return Response(body)

    @extend_schema(
        summary="Today's traffic board",
        description="Who is waiting, who is with which consultant and for how long, and who left today.",
        parameters=[s.BoardQuerySerializer],
        responses={200: s.BoardSerializer, **_errors(400)},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def board(self, request: Request) -> Response:
        query = s.BoardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        store = _store(request, query.validated_data.get("store"), "store.view")
        board = selectors.board_for(request.user, store)
        return Response(s.BoardSerializer(board, context={"request": request}).data)


# ---------------------------------------------------------------- needs assessments


@extend_schema_view(
    list=extend_schema(
        summary="List needs assessments",
        parameters=[s.NeedsAssessmentQuerySerializer],
        responses={200: s.NeedsAssessmentSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One needs assessment", responses={200: s.NeedsAssessmentSerializer, **_errors(404)}
    ),
)
@extend_schema(tags=["needs-assessments"])
class NeedsAssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Needs analyses (需求分析): a consultant's own and their customers', the whole store for managers."""

    serializer_class = s.NeedsAssessmentSerializer
    pagination_class = KeysetPagination
    filter_backends: list = []
    queryset = NeedsAssessment.objects.none()

    def get_queryset(self) -> QuerySet[NeedsAssessment]:
        qs = selectors.needs_assessment_visible_to(self.request.user)
        if self.action == "list":
            query = s.NeedsAssessmentQuerySerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            if "customer" in query.validated_data:
                qs = qs.filter(customer_id=query.validated_data["customer"])
        return qs

    @extend_schema(
        summary="Take a needs analysis",
        description="Also records the customer's purchase needs (history kept) and proposes an intent grade from "
        "the timeframe (`proposed_grade`), which the consultant confirms on the customer.",
        request=s.NeedsAssessmentCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.NeedsAssessmentSerializer, **_errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = s.NeedsAssessmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)

        def create() -> NeedsAssessment:
            customer = customer_visible_to(request.user).filter(pk=fields.pop("customer")).first()
            if customer is None:
                raise ValidationError({"customer": [_("There is no such customer among yours.")]})
            visit_id = fields.pop("visit", None)
            visit = None
            if visit_id is not None:
                visit = selectors.visit_visible_to(request.user).filter(pk=visit_id).first()
                if visit is None:
                    raise ValidationError({"visit": [_("There is no such visit among yours.")]})
            return services.needs_assessment_create(actor=request.user, customer=customer, visit=visit, **fields)

        assessment, _replayed = idempotent(
            request,
            scope="needs.create",
            create=create,
            replay=lambda pk: selectors.needs_assessment_visible_to(request.user).filter(pk=pk).first(),
        )
        return Response(s.NeedsAssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- recommendations


@extend_schema(tags=["recommendations"])
class RecommendationView(APIView):
    """Needs in, the store's trims ranked out: each with a fit score and explicit reasons and trade-offs."""

    @extend_schema(
        summary="Recommend trims for needs",
        description="Ranks the trims the store sells (meeting the hard needs first; in stock, then in transit, then "
        "orderable; then by score). Prices are the marked prices in force minus the best promotion when the offers "
        "engine is available (`promotions_applied`).",
        request=s.RecommendationRequestSerializer,
        responses={200: s.RecommendationResponseSerializer, **_errors(400)},
    )
    def post(self, request: Request) -> Response:
        data = s.RecommendationRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        store = _store(request, values.pop("store", None), "sales.sell")
        limit = values.pop("limit")
        needs = services.needs_from(services.clean_needs(values))
        result = selectors.recommendations_for(request.user, store, needs, limit=limit)
        return Response(
            {
                "store": store.pk,
                "promotions_applied": result.promotions_known,
                "considered": result.considered,
                "results": [
                    {**as_dict(r), "order_reason": reason}
                    for r, reason in zip(result.results, order_reasons(result.results), strict=True)
                ],
            }
        )
