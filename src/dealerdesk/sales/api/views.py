"""Orders, contracts and payments over the API. Reads start from the selectors (not visible → 404); every write
is one service call with a parsed input; refused moves answer 409 with their reason."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dealerdesk.catalog.models import StockVehicle
from dealerdesk.core.api import ERRORS, no_input, query_id
from dealerdesk.core.api import error_responses as _errors
from dealerdesk.core.pagination import KeysetPagination
from dealerdesk.offers.selectors import offer_visible_to

from .. import selectors, services
from ..models import Contract, Order, Payment
from . import serializers as s


def _vehicle(user, pk) -> StockVehicle | None:
    """A stock vehicle of the caller's stores (another store's vehicle reads as unknown)."""
    if pk in (None, ""):
        return None
    qs = StockVehicle.objects.filter(pk=pk)
    ids = user.visible_store_ids()
    vehicle = (qs if ids is None else qs.filter(store_id__in=ids)).first()
    if vehicle is None:
        raise ValidationError({"stock_vehicle": [_("There is no such stock vehicle.")]})
    return vehicle


@extend_schema_view(
    list=extend_schema(summary="List orders", responses={200: s.OrderSerializer(many=True)}),
    retrieve=extend_schema(summary="One order", responses={200: s.OrderSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["orders"])
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders: a consultant's own, the whole store's for managers, cashiers and clerks."""

    serializer_class = s.OrderSerializer
    pagination_class = KeysetPagination
    queryset = Order.objects.none()

    def get_queryset(self) -> QuerySet[Order]:
        qs = selectors.order_list_for(self.request.user)
        if self.action == "list":
            params = self.request.query_params
            if params.get("status"):
                qs = qs.filter(status=params["status"])
            customer_id, consultant_id = query_id(self.request, "customer"), query_id(self.request, "consultant")
            if customer_id is not None:
                qs = qs.filter(customer_id=customer_id)
            if consultant_id is not None:
                qs = qs.filter(consultant_id=consultant_id)
        return qs

    def _answer(self, order: Order, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.OrderSerializer(self.get_queryset().get(pk=order.pk)).data, status=code)

    @extend_schema(
        summary="Take an order from an accepted offer",
        description="Copies the accepted offer's vehicle, options, services and price lines; reserves the stock "
        "vehicle given (or the longest-standing match of the store) or records the factory order. A vehicle "
        "already held by another order answers 409.",
        request=s.OrderCreateSerializer,
        responses={201: s.OrderSerializer, **_errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = s.OrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        offer = offer_visible_to(request.user).filter(pk=values.pop("offer")).first()
        if offer is None:
            raise ValidationError({"offer": [_("There is no such offer, or you may not see it.")]})
        order = services.order_create_from_offer(
            actor=request.user,
            offer=offer,
            stock_vehicle=_vehicle(request.user, values.pop("stock_vehicle", None)),
            **values,
        )
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a draft order's terms",
        request=s.OrderTermsSerializer,
        responses={200: s.OrderSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def terms(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = s.OrderTermsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.order_update(actor=request.user, order=order, **data.validated_data))

    @extend_schema(
        summary="Allocate another stock vehicle or a factory order",
        request=s.AllocateSerializer,
        responses={200: s.OrderSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def allocate(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = s.AllocateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_allocate(
            actor=request.user,
            order=order,
            stock_vehicle=_vehicle(request.user, data.validated_data.get("stock_vehicle")),
            factory_order_ref=data.validated_data.get("factory_order_ref", ""),
        )
        return self._answer(order)

    @extend_schema(
        summary="Record the loan application's status",
        request=s.LoanSerializer,
        responses={200: s.OrderSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def loan(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = s.LoanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.order_set_loan_status(
                actor=request.user, order=order, loan_status=data.validated_data["loan_status"]
            )
        )

    @extend_schema(
        summary="Cancel the order (a signed one: managers), recording the deposit decision",
        request=s.CancelSerializer,
        responses={200: s.OrderSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = s.CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_cancel(
            actor=request.user,
            order=order,
            reason=data.validated_data["reason"],
            deposit_decision=data.validated_data.get("deposit_decision", ""),
        )
        return self._answer(order)


@extend_schema_view(
    list=extend_schema(
        summary="List contracts",
        description="Without the text: open one contract for it.",
        responses={200: s.ContractListSerializer(many=True)},
    ),
    retrieve=extend_schema(summary="One contract", responses={200: s.ContractSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["contracts"])
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contracts of the orders the caller may see. A signed contract never changes: amend it instead."""

    serializer_class = s.ContractSerializer
    pagination_class = KeysetPagination
    queryset = Contract.objects.none()

    def get_queryset(self) -> QuerySet[Contract]:
        qs = selectors.contract_list_for(self.request.user)
        if self.action == "list":
            params = self.request.query_params
            if params.get("status"):
                qs = qs.filter(status=params["status"])
            order_id = query_id(self.request, "order")
            if order_id is not None:
                qs = qs.filter(order_id=order_id)
            qs = qs.defer("body")  # the list leaves the text out
        return qs

    def get_serializer_class(self) -> type[s.ContractListSerializer]:
        return s.ContractListSerializer if self.action == "list" else s.ContractSerializer

    def _answer(self, contract: Contract, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.ContractSerializer(self.get_queryset().get(pk=contract.pk)).data, status=code)

    @extend_schema(
        summary="Prepare the order's contract from the template version in force",
        request=s.ContractCreateSerializer,
        responses={201: s.ContractSerializer, **_errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = s.ContractCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = selectors.order_visible_to(request.user).filter(pk=data.validated_data["order"]).first()
        if order is None:
            raise ValidationError({"order": [_("There is no such order, or you may not see it.")]})
        return self._answer(services.contract_create(actor=request.user, order=order), status.HTTP_201_CREATED)

    def _step(self, request: Request, service, **kwargs) -> Response:
        return self._answer(service(actor=request.user, contract=self.get_object(), **kwargs))

    @extend_schema(
        summary="Fill the contract from its order",
        description="Missing or inconsistent fields (price not the offer's total, deposit above the total, a "
        "delivery date in the past, a stock vehicle not matching) answer 400 with a message per field.",
        request=None,
        responses={200: s.ContractSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def fill(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._step(request, services.contract_fill)

    @extend_schema(
        summary="Submit the reviewed contract for signature",
        request=None,
        responses={200: s.ContractSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def submit(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._step(request, services.contract_submit)

    @extend_schema(
        summary="Take a contract waiting for signatures back to editing",
        request=None,
        responses={200: s.ContractSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._step(request, services.contract_reopen)

    @extend_schema(
        summary="Discard a contract that is not signed",
        request=s.DiscardSerializer,
        responses={200: s.ContractSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def discard(self, request: Request, pk: str) -> Response:
        data = s.DiscardSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._step(request, services.contract_discard, reason=data.validated_data.get("reason", ""))

    @extend_schema(
        summary="Sign: the customer (typed name, optional drawn PNG), the consultant, or a manager for the store",
        description="The last of the three signatures freezes the text, stores the PDF and its SHA-256, and signs "
        "the order.",
        request=s.SignSerializer,
        responses={200: s.ContractSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def sign(self, request: Request, pk: str) -> Response:
        data = s.SignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._step(
            request,
            services.contract_sign,
            party=data.validated_data["party"],
            typed_name=data.validated_data.get("typed_name", ""),
            signature_png=data.validated_data.get("signature_png") or None,
        )

    @extend_schema(
        summary="Amend a signed contract (a new version, signed again)",
        request=s.AmendSerializer,
        responses={201: s.ContractSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def amend(self, request: Request, pk: str) -> Response:
        contract = self.get_object()
        data = s.AmendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        amendment = services.contract_amend(
            actor=request.user, contract=contract, reason=values.pop("reason"), **values
        )
        return self._answer(amendment, status.HTTP_201_CREATED)

    @extend_schema(
        summary="The signed contract's PDF (Chinese), exactly as stored",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        contract = self.get_object()
        content = selectors.contract_pdf_bytes(contract)
        if content is None:
            raise Http404
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="contract-{contract.number}.pdf"'
        response["X-Content-SHA256"] = contract.sha256
        response["Cache-Control"] = "no-store"
        return response


@extend_schema_view(
    list=extend_schema(summary="List payments", responses={200: s.PaymentSerializer(many=True)}),
    retrieve=extend_schema(summary="One payment", responses={200: s.PaymentSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["payments"])
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Payments of the orders the caller may see; cashiers and managers record them."""

    serializer_class = s.PaymentSerializer
    pagination_class = KeysetPagination
    queryset = Payment.objects.none()

    def get_queryset(self) -> QuerySet[Payment]:
        qs = selectors.payment_visible_to(self.request.user)
        order_id = query_id(self.request, "order") if self.action == "list" else None
        if order_id is not None:
            qs = qs.filter(order_id=order_id)
        return qs

    @extend_schema(
        summary="Record a deposit, a balance payment or a refund",
        request=s.PaymentCreateSerializer,
        responses={201: s.PaymentSerializer, **_errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = s.PaymentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        order = selectors.order_visible_to(request.user).filter(pk=values.pop("order")).first()
        if order is None:
            raise ValidationError({"order": [_("There is no such order, or you may not see it.")]})
        payment = services.payment_record(actor=request.user, order=order, **values)
        return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)
