"""Registration API: read the tracker and one case; each step is an explicit action calling a service."""

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

from dealerdesk.accounts.models import User
from dealerdesk.accounts.selectors import store_visible_to
from dealerdesk.core.api import ERRORS, IDEMPOTENCY_HEADER, FirstRendererNegotiation, idempotent, no_input, query_id
from dealerdesk.core.api import error_responses as _errors
from dealerdesk.core.pagination import KeysetPagination
from dealerdesk.sales.selectors import order_visible_to

from .. import selectors, services
from ..choices import RegistrationStatus
from ..models import Registration
from ..pdf import checklist_pdf
from . import serializers as s


def _clerk(pk: int | None):
    if pk is None:
        return None
    clerk = User.objects.filter(pk=pk, is_active=True).first()
    if clerk is None:
        raise ValidationError({"clerk": [_("There is no such member of staff.")]})
    return clerk


LIST_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=list(RegistrationStatus.values)),
    OpenApiParameter("open", OpenApiTypes.BOOL, description="Only open cases (default true unless `status` is set)."),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only open cases past their target date."),
    OpenApiParameter("clerk", OpenApiTypes.INT),
    OpenApiParameter("order", OpenApiTypes.INT),
]


@extend_schema_view(
    list=extend_schema(
        summary="The registration tracker",
        parameters=LIST_PARAMETERS,
        responses={200: s.RegistrationSerializer(many=True)},
    ),
    retrieve=extend_schema(summary="One registration", responses={200: s.RegistrationSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["registrations"])
class RegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Registrations (上牌): the store's cases for clerks and managers, a consultant's own orders'."""

    serializer_class = s.RegistrationSerializer
    pagination_class = KeysetPagination
    queryset = Registration.objects.none()

    def get_queryset(self) -> QuerySet[Registration]:
        user = self.request.user
        if self.action != "list":
            return selectors.registration_list_for(user).prefetch_related("documents__received_by")
        params = self.request.query_params
        wanted = params.get("status", "")
        order_id = query_id(self.request, "order")
        qs = selectors.registration_tracker(
            user,
            list(store_visible_to(user)),
            status=wanted if wanted in RegistrationStatus.values else "",
            clerk_id=query_id(self.request, "clerk"),
            overdue=params.get("overdue") in ("true", "1"),
            open_only=params.get("open", "true") not in ("false", "0"),
        )
        if order_id is not None:
            qs = qs.filter(order_id=order_id)
        return qs.prefetch_related("documents__received_by")

    def _answer(self, registration: Registration, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.registration_get(self.request.user, registration.pk)
        return Response(s.RegistrationSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Open the registration of an order",
        description="By the store (the document checklist follows the case: local or not, person or company, loan, "
        "imported, new-energy) or recorded as done by the customer themselves (`by_customer`). One live "
        "registration per order.",
        request=s.RegistrationOpenSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.RegistrationSerializer, **_errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = s.RegistrationOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data

        def create() -> Registration:
            order = order_visible_to(request.user).filter(pk=values["order"]).first()
            if order is None:
                raise ValidationError({"order": [_("There is no such order, or you may not see it.")]})
            return services.registration_open(
                actor=request.user,
                order=order,
                by_customer=values["by_customer"],
                owner_kind=values["owner_kind"],
                company_name=values["company_name"],
                local=values["local"],
                clerk=_clerk(values["clerk"]),
                note=values["note"],
            )

        registration, _replayed = idempotent(
            request,
            scope="registrations.create",
            create=create,
            replay=lambda pk: Registration(pk=pk) if self.get_queryset().filter(pk=pk).exists() else None,
        )
        return self._answer(registration, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Correct the case (owner kind, local or not); the checklist follows",
        request=s.RegistrationCaseSerializer,
        responses={200: s.RegistrationSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def case(self, request: Request, pk: str) -> Response:
        registration = self.get_object()
        data = s.RegistrationCaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return self._answer(
            services.registration_set_case(
                actor=request.user,
                registration=registration,
                owner_kind=v.get("owner_kind"),
                company_name=v.get("company_name"),
                local=v.get("local"),
            )
        )

    @extend_schema(
        summary="Make a clerk responsible",
        request=s.RegistrationAssignSerializer,
        responses={200: s.RegistrationSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def assign(self, request: Request, pk: str) -> Response:
        registration = self.get_object()
        data = s.RegistrationAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clerk = _clerk(data.validated_data["clerk"])
        return self._answer(services.registration_assign(actor=request.user, registration=registration, clerk=clerk))

    @extend_schema(
        summary="Mark a checklist document received, with who holds it",
        description="Refused with 409 `document_already_received` when it was already marked.",
        request=s.RegistrationDocumentReceiveSerializer,
        responses={200: s.RegistrationSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def documents(self, request: Request, pk: str) -> Response:
        registration = self.get_object()
        data = s.RegistrationDocumentReceiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.registration_document_receive(
            actor=request.user,
            registration=registration,
            kind=v["kind"],
            holder=v["holder"],
            note=v["note"],
            id_number=v["id_number"],
        )
        return self._answer(registration)

    @extend_schema(
        summary="Submit to the vehicle office",
        description="Refused with 409 `documents_missing` (and the `missing` kinds) until every document is in.",
        request=s.RegistrationSubmitSerializer,
        responses={200: s.RegistrationSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def submit(self, request: Request, pk: str) -> Response:
        registration = self.get_object()
        data = s.RegistrationSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.registration_submit(
                actor=request.user, registration=registration, office=data.validated_data["office"]
            )
        )

    @extend_schema(
        summary="Record the plate and the licence issue date",
        description="The plate is validated (new-energy plates included) and written to the stock vehicle and the "
        "customer's vehicles; a plate already on another vehicle is 409 `plate_in_use`. A registration by the "
        "customer is completed by it.",
        request=s.RegistrationPlateSerializer,
        responses={200: s.RegistrationSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def plate(self, request: Request, pk: str) -> Response:
        registration = self.get_object()
        data = s.RegistrationPlateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return self._answer(
            services.registration_record_plate(
                actor=request.user,
                registration=registration,
                plate=v["plate"],
                licence_issued_on=v["licence_issued_on"],
            )
        )

    @extend_schema(
        summary="The licence and plates were handed to the customer",
        request=None,
        responses={200: s.RegistrationSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._answer(services.registration_complete(actor=request.user, registration=self.get_object()))

    @extend_schema(
        summary="Cancel an unfinished registration, saying why",
        request=s.RegistrationCancelSerializer,
        responses={200: s.RegistrationSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request: Request, pk: str) -> Response:
        registration = self.get_object()
        data = s.RegistrationCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.registration_cancel(
                actor=request.user, registration=registration, reason=data.validated_data["reason"]
            )
        )

    @extend_schema(
        summary="The document checklist as a PDF for the customer (Chinese)",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="checklist.pdf",
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=FirstRendererNegotiation,
    )
    def checklist_pdf(self, request: Request, pk: str) -> HttpResponse:
        registration = selectors.registration_get(request.user, self.get_object().pk)
        response = HttpResponse(checklist_pdf(registration), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="registration-{registration.number}.pdf"'
        response["Cache-Control"] = "no-store"
        return response
