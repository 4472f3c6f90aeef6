"""Test drives and demo cars over the API. Reads start from the selectors (not visible → 404); every state change
is an explicit action calling one service; refused moves answer 409 with their reason."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dealerdesk.accounts.models import Store, User
from dealerdesk.catalog.models import Series, StockVehicle, Trim
from dealerdesk.core.api import ERRORS as CORE_ERRORS
from dealerdesk.core.api import no_input, query_date, query_id
from dealerdesk.core.errors import DomainError
from dealerdesk.core.pagination import KeysetPagination
from dealerdesk.customers.selectors import customer_visible_to

from .. import fleet, selectors, services, throttle
from ..ics import booking_ics
from ..models import Route, TestDrive, TestDriveAgreement
from . import serializers as s

ERRORS = {
    **CORE_ERRORS,
    409: OpenApiResponse(
        description="refused in the current status, or the slot is taken (`code` + `detail`; `next_free` lists "
        "the next free slots)"
    ),
    429: OpenApiResponse(description="too many bookings from this address or mobile"),
}


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


def _row(model, pk, field: str, store: Store, message, **filters):
    if pk in (None, ""):
        return None
    row = model.objects.filter(pk=pk, **filters).first()
    if row is None or getattr(row, "store_id", store.pk) != store.pk:
        raise ValidationError({field: [message]})
    return row


def _user(pk, store: Store) -> User | None:
    if pk in (None, ""):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise ValidationError({"consultant": [_("There is no such consultant.")]})
    return user


def _store_param(request: Request) -> Store:
    wanted = query_id(request, "store")
    stores = selectors.fleet_stores(request.user)
    if wanted is not None:
        store = next((st for st in stores if st.pk == wanted), None)
    else:
        store = stores[0] if len(stores) == 1 else None
    if store is None:
        raise ValidationError({"store": [_("Choose one of your stores.")]})
    return store


def _day_param(request: Request, store: Store) -> date:
    return query_date(request, "day") or selectors.local_today(store)


STORE_PARAM = OpenApiParameter("store", OpenApiTypes.INT, description="The store (optional when you work in one).")
DAY_PARAM = OpenApiParameter("day", OpenApiTypes.DATE, description="The day in store time; default today.")


@extend_schema_view(
    list=extend_schema(
        summary="List test drives",
        parameters=[
            STORE_PARAM,
            DAY_PARAM,
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("customer", OpenApiTypes.INT),
        ],
        responses={200: s.TestDriveSerializer(many=True)},
    ),
    retrieve=extend_schema(summary="One test drive", responses={200: s.TestDriveSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["test drives"])
class TestDriveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Test-drive bookings of the caller's stores, with every step of the drive as an explicit action."""

    serializer_class = s.TestDriveSerializer
    pagination_class = KeysetPagination
    queryset = TestDrive.objects.none()

    def get_queryset(self) -> QuerySet[TestDrive]:
        qs = selectors.testdrive_visible_to(self.request.user).select_related("licence")
        if self.action == "list":
            params = self.request.query_params
            store_id, customer_id = query_id(self.request, "store"), query_id(self.request, "customer")
            day = query_date(self.request, "day")
            if store_id is not None:
                qs = qs.filter(store_id=store_id)
            if params.get("status"):
                qs = qs.filter(status=params["status"])
            if customer_id is not None:
                qs = qs.filter(customer_id=customer_id)
            if day is not None:
                qs = qs.filter(start_at__date=day)
        return qs

    def _answer(self, td: TestDrive, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.TestDriveSerializer(self.get_queryset().get(pk=td.pk)).data, status=code)

    def _input(self, serializer_class, request: Request) -> dict:
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    @extend_schema(
        summary="Book a test drive",
        description="Books a demo car (or the first free one of a trim or series) for a customer. A taken car or "
        "consultant answers 409 with `next_free`, the next free slots.",
        request=s.TestDriveBookSerializer,
        responses={201: s.TestDriveSerializer, **_errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = self._input(s.TestDriveBookSerializer, request)
        customer = customer_visible_to(request.user).select_related("store").filter(pk=data["customer"]).first()
        if customer is None:
            raise ValidationError({"customer": [_("There is no such customer, or you may not see them.")]})
        store = customer.store
        td = services.testdrive_book(
            actor=request.user,
            store=store,
            customer=customer,
            start=data["start"],
            end=data.get("end"),
            demo_car=_row(
                StockVehicle,
                data.get("demo_car"),
                "demo_car",
                store,
                _("Choose a demo car of this store."),
                is_demo=True,
            ),
            trim=Trim.objects.filter(pk=data["trim"]).first() if data.get("trim") else None,
            series=Series.objects.filter(pk=data["series"]).first() if data.get("series") else None,
            consultant=_user(data.get("consultant"), store),
            route=_row(Route, data.get("route"), "route", store, _("Choose one of the store's routes.")),
            channel=data["channel"],
            notes=data.get("notes", ""),
        )
        return self._answer(td, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Free and taken slots of a day",
        parameters=[
            STORE_PARAM,
            DAY_PARAM,
            OpenApiParameter("series", OpenApiTypes.INT, description="Only demo cars of this series."),
            OpenApiParameter("demo_car", OpenApiTypes.INT, description="Only this demo car."),
        ],
        responses={200: s.DemoCarAvailabilitySerializer(many=True), **_errors(400)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def availability(self, request: Request) -> Response:
        store = _store_param(request)
        day = _day_param(request, store)
        cars = selectors.bookable_cars(store)
        series_id, demo_car_id = query_id(request, "series"), query_id(request, "demo_car")
        if series_id is not None:
            cars = cars.filter(trim__series_id=series_id)
        if demo_car_id is not None:
            cars = cars.filter(pk=demo_car_id)
        rows = selectors.availability(store, day, list(cars))
        return Response(s.DemoCarAvailabilitySerializer(rows, many=True).data)

    def _step(self, request: Request, serializer_class, call) -> Response:
        td = self.get_object()
        if serializer_class is None:
            no_input(request)
        data = self._input(serializer_class, request) if serializer_class else {}
        return self._answer(call(td, data))

    @extend_schema(
        summary="Confirm a requested booking",
        request=s.TestDriveConfirmSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def confirm(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            s.TestDriveConfirmSerializer,
            lambda td, d: services.testdrive_confirm(
                actor=request.user, test_drive=td, consultant=_user(d.get("consultant"), td.store)
            ),
        )

    @extend_schema(
        summary="Save the vehicle checklist and route",
        request=s.TestDriveChecklistSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def checklist(self, request: Request, pk: str) -> Response:
        def call(td, d):
            route = _row(Route, d.get("route"), "route", td.store, _("Choose one of the store's routes."))
            return services.preparation_save(
                actor=request.user,
                test_drive=td,
                clean=d["clean"],
                energy_percent=d.get("energy_percent"),
                no_warning_lights=d["no_warning_lights"],
                equipment_present=d["equipment_present"],
                route=route,
            )

        return self._step(request, s.TestDriveChecklistSerializer, call)

    @extend_schema(
        summary="Record the driver's licence",
        request=s.TestDriveLicenceSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def licence(self, request: Request, pk: str) -> Response:
        def call(td, d):
            services.licence_record(actor=request.user, test_drive=td, **d)
            return td

        return self._step(request, s.TestDriveLicenceSerializer, call)

    @extend_schema(
        summary="Reveal the full licence number",
        description="The full number of the booking's driver's licence, for roles allowed to reveal a customer's ID "
        "number (`customers.reveal`). Every reveal is written to the access log; a refused one answers 403 with "
        "the reason and is not logged. Everywhere else (the booking's `licence.number`, the page) the number is "
        "masked.",
        request=s.LicenceRevealRequestSerializer,
        responses={200: s.LicenceRevealSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="licence/reveal", filter_backends=[])
    def licence_reveal(self, request: Request, pk: str) -> Response:
        td = self.get_object()
        if td.licence_id is None:
            raise NotFound(_("No driver's licence is recorded for this test drive."))
        data = self._input(s.LicenceRevealRequestSerializer, request)
        number = services.licence_reveal(actor=request.user, licence=td.licence, reason=data["reason"])
        response = Response({"licence": td.licence_id, "number": number})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="Mark prepared (checklist complete, licence valid)",
        request=None,
        responses={200: s.TestDriveSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def prepare(self, request: Request, pk: str) -> Response:
        return self._step(request, None, lambda td, d: services.testdrive_prepare(actor=request.user, test_drive=td))

    @extend_schema(
        summary="Generate the agreement PDF from the store's template",
        request=None,
        responses={200: s.TestDriveSerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="agreement", filter_backends=[])
    def agreement(self, request: Request, pk: str) -> Response:
        def call(td, d):
            services.agreement_generate(actor=request.user, test_drive=td)
            return td

        return self._step(request, None, call)

    @extend_schema(
        summary="The customer accepts the agreement (typed name, optional drawn signature)",
        request=s.TestDriveAcceptSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="accept-agreement", filter_backends=[])
    def accept_agreement(self, request: Request, pk: str) -> Response:
        def call(td, d):
            services.agreement_accept(
                actor=request.user, test_drive=td, typed_name=d["typed_name"], signature=d.get("signature", "")
            )
            return td

        return self._step(request, s.TestDriveAcceptSerializer, call)

    @extend_schema(
        summary="Start the drive",
        request=s.TestDriveStartSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def start(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            s.TestDriveStartSerializer,
            lambda td, d: services.testdrive_start(actor=request.user, test_drive=td, **d),
        )

    @extend_schema(
        summary="Complete the drive (odometer in, incident)",
        request=s.TestDriveCompleteSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            s.TestDriveCompleteSerializer,
            lambda td, d: services.testdrive_complete(actor=request.user, test_drive=td, **d),
        )

    @extend_schema(
        summary="Check the car after the drive",
        request=s.TestDriveCheckSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def check(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            s.TestDriveCheckSerializer,
            lambda td, d: services.testdrive_check_after(actor=request.user, test_drive=td, **d),
        )

    @extend_schema(
        summary="Record the customer's feedback at the desk",
        request=s.TestDriveFeedbackSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def feedback(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            s.TestDriveFeedbackSerializer,
            lambda td, d: services.feedback_record(actor=request.user, test_drive=td, **d),
        )

    @extend_schema(
        summary="The consultant's impressions and next step (plans tomorrow's follow-up)",
        request=s.TestDriveDebriefSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def debrief(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            s.TestDriveDebriefSerializer,
            lambda td, d: services.debrief_record(actor=request.user, test_drive=td, **d),
        )

    @extend_schema(
        summary="Cancel, with the reason",
        request=s.TestDriveReasonSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            s.TestDriveReasonSerializer,
            lambda td, d: services.testdrive_cancel(actor=request.user, test_drive=td, reason=d["reason"]),
        )

    @extend_schema(
        summary="The customer did not come",
        request=s.TestDriveReasonSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="no-show", filter_backends=[])
    def no_show(self, request: Request, pk: str) -> Response:
        return self._step(
            request,
            s.TestDriveReasonSerializer,
            lambda td, d: services.testdrive_no_show(actor=request.user, test_drive=td, reason=d["reason"]),
        )

    @extend_schema(
        summary="Move to another time, car or consultant (history kept)",
        request=s.TestDriveRescheduleSerializer,
        responses={200: s.TestDriveSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reschedule(self, request: Request, pk: str) -> Response:
        def call(td, d):
            return services.testdrive_reschedule(
                actor=request.user,
                test_drive=td,
                start=d["start"],
                end=d.get("end"),
                demo_car=_row(
                    StockVehicle,
                    d.get("demo_car"),
                    "demo_car",
                    td.store,
                    _("Choose a demo car of this store."),
                    is_demo=True,
                ),
                consultant=_user(d.get("consultant"), td.store),
                reason=d.get("reason", ""),
            )

        return self._step(request, s.TestDriveRescheduleSerializer, call)

    @extend_schema(
        summary="The agreement as a PDF", responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: ERRORS[404]}
    )
    def agreement_pdf(self, request: Request, pk: str) -> HttpResponse:
        td = self.get_object()
        agreement = TestDriveAgreement.objects.filter(test_drive=td).first()
        if agreement is None:
            raise DomainError(_("The agreement has not been generated yet."), code="agreement_missing")
        response = HttpResponse(bytes(agreement.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="agreement-{td.number}.pdf"'
        response["X-Content-SHA256"] = agreement.sha256
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="The booking as an iCalendar file",
        responses={(200, "text/calendar"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    def calendar(self, request: Request, pk: str) -> HttpResponse:
        td = self.get_object()
        response = HttpResponse(booking_ics(td), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="testdrive-{td.number}.ics"'
        return response


@extend_schema_view(
    list=extend_schema(
        summary="List demo cars", parameters=[STORE_PARAM], responses={200: s.DemoCarSerializer(many=True)}
    ),
    retrieve=extend_schema(summary="One demo car", responses={200: s.DemoCarSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["demo cars"])
class DemoCarViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The demo-car fleet: status, insurance, odometer and utilisation."""

    serializer_class = s.DemoCarSerializer
    pagination_class = KeysetPagination
    queryset = StockVehicle.objects.none()

    def get_queryset(self) -> QuerySet[StockVehicle]:
        qs = selectors.demo_car_visible_to(self.request.user)
        store_id = query_id(self.request, "store") if self.action == "list" else None
        if store_id is not None:
            qs = qs.filter(store_id=store_id)
        return qs

    def _answer(self, car: StockVehicle) -> Response:
        return Response(s.DemoCarSerializer(self.get_queryset().get(pk=car.pk)).data)

    @extend_schema(
        summary="Change the demo status (maintenance, back in service, retired)",
        request=s.DemoCarStatusSerializer,
        responses={200: s.DemoCarSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="status", filter_backends=[])
    def set_status(self, request: Request, pk: str) -> Response:
        car = self.get_object()
        data = s.DemoCarStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(fleet.demo_car_set_status(actor=request.user, vehicle=car, **data.validated_data))

    @extend_schema(
        summary="Record the renewed insurance",
        request=s.DemoCarInsuranceSerializer,
        responses={200: s.DemoCarSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def insurance(self, request: Request, pk: str) -> Response:
        car = self.get_object()
        data = s.DemoCarInsuranceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            fleet.demo_car_set_insurance(
                actor=request.user, vehicle=car, expires_on=data.validated_data["insurance_expires_on"]
            )
        )

    @extend_schema(
        summary="Record an odometer reading (a fleet manager may correct it downward with a reason)",
        request=s.DemoCarOdometerSerializer,
        responses={200: s.DemoCarSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def odometer(self, request: Request, pk: str) -> Response:
        car = self.get_object()
        data = s.DemoCarOdometerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            fleet.demo_car_record_odometer(
                actor=request.user,
                vehicle=car,
                odometer_km=data.validated_data["odometer_km"],
                reason=data.validated_data.get("reason", ""),
            )
        )

    @extend_schema(
        summary="Hours booked vs open per demo car for a week",
        parameters=[STORE_PARAM, OpenApiParameter("week", OpenApiTypes.DATE, description="Any day of the week.")],
        responses={200: s.DemoCarUtilisationSerializer(many=True), **_errors(400)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def utilisation(self, request: Request) -> Response:
        store = _store_param(request)
        day = query_date(request, "week") or selectors.local_today(store)
        report = selectors.utilisation(store, fleet.week_start(day))
        rows = [
            {
                "demo_car": r["car"].pk,
                "plate": r["car"].plate,
                "booked_hours": r["booked_hours"],
                "open_hours": r["open_hours"],
                "drives": r["drives"],
                "percent": r["percent"],
            }
            for r in report["rows"]
        ]
        return Response(s.DemoCarUtilisationSerializer(rows, many=True).data)


class PublicBookingView(APIView):
    """The public booking endpoint (no login): a `requested` booking of a series; throttled per IP and mobile."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["public"],
        summary="Book a test drive from the store's public page",
        request=s.TestDrivePublicBookSerializer,
        responses={201: s.TestDrivePublicBookedSerializer, **_errors(400, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        data = s.TestDrivePublicBookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        refusal = throttle.booking_refusal(request, d["mobile"])
        if refusal:
            return Response({"code": "throttled", "detail": refusal}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        store = Store.objects.filter(code=d["store"], is_active=True).first()
        if store is None:
            raise ValidationError({"store": [_("There is no such store.")]})
        td = services.public_book(
            store=store,
            series=Series.objects.filter(pk=d["series"]).first(),
            start=d["start"],
            name=d["name"],
            mobile=d["mobile"],
            notice_accepted=d["notice_accepted"],
        )
        throttle.booking_made(d["mobile"])
        body = {"number": td.number, "start": td.start_at, "end": td.end_at, "status": td.status}
        return Response(s.TestDrivePublicBookedSerializer(body).data, status=status.HTTP_201_CREATED)


class PublicSlotsView(APIView):
    """The free start times of a series on a day at a store, for the public booking page (no login)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["public"],
        summary="Free start times of a series on a day",
        parameters=[
            OpenApiParameter("store", OpenApiTypes.STR, required=True, description="The store's code."),
            OpenApiParameter("series", OpenApiTypes.INT, required=True),
            OpenApiParameter("day", OpenApiTypes.DATE, required=True),
        ],
        responses={200: s.PublicSlotSerializer(many=True), **_errors(400)},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        store = Store.objects.filter(code=params.get("store", ""), is_active=True).first()
        if store is None or not selectors.settings_for(store).public_booking_enabled:
            raise ValidationError({"store": [_("There is no such store.")]})
        series_id = query_id(request, "series")
        if series_id is None:
            raise ValidationError({"series": [_("Choose the model you want to drive.")]})
        day = query_date(request, "day")
        if day is None:
            raise ValidationError({"day": [_("Give the day as YYYY-MM-DD.")]})
        cars = list(selectors.bookable_cars(store, series_id=series_id, day=day))
        free: dict = {}
        for row in selectors.availability(store, day, cars):
            for slot in row["slots"]:
                free[slot["start"]] = free.get(slot["start"], False) or slot["free"]
        rows = [{"start": start, "free": ok} for start, ok in sorted(free.items())]
        return Response(s.PublicSlotSerializer(rows, many=True).data)


class PublicFeedbackView(APIView):
    """The customer's feedback through the signed link (no login)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["public"],
        summary="Rate a test drive through the link sent by message",
        request=s.TestDrivePublicFeedbackSerializer,
        responses={204: None, **_errors(400, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        if not throttle.allow("ip", throttle.client_ip(request), throttle.PER_IP):
            return Response(
                {"code": "throttled", "detail": str(_("Too many attempts; try again later."))},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        data = s.TestDrivePublicFeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.feedback_from_link(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
