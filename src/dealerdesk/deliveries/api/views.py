"""Deliveries and gifts over the API. Reads start from the selectors (not visible → 404); every write is one
service call with a parsed input; refused moves answer 409 with `code` and `detail` (and `missing` for prepare)."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from dealerdesk.accounts.permissions import user_can
from dealerdesk.catalog.models import Trim
from dealerdesk.core.api import ERRORS, FirstRendererNegotiation, FormParser, MultiPartParser, no_input, query_id
from dealerdesk.core.api import error_responses as _errors
from dealerdesk.core.errors import NotPermitted
from dealerdesk.core.pagination import KeysetPagination
from dealerdesk.core.validators import parse_id

from .. import selectors, services
from ..models import Delivery, DeliveryGift, GiftItem, PromisedGift
from ..views import photo_response
from . import serializers as s


@extend_schema_view(
    list=extend_schema(summary="List deliveries", responses={200: s.DeliverySerializer(many=True)}),
    retrieve=extend_schema(summary="One delivery", responses={200: s.DeliverySerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["deliveries"])
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Deliveries (交车): the store's for clerks and managers, a consultant's own. Filters: `status`, `store`."""

    serializer_class = s.DeliverySerializer
    pagination_class = KeysetPagination
    queryset = Delivery.objects.none()

    def get_queryset(self) -> QuerySet[Delivery]:
        # an action (not a read) looks among the deliveries the user works on: the care desk only reads them
        to_act = self.request.method not in SAFE_METHODS
        qs = (
            selectors.delivery_visible_to(self.request.user, to_act=to_act)
            .prefetch_related(
                "pdi_checks__checked_by",
                "documents__received_by",
                Prefetch("gifts", queryset=DeliveryGift.objects.select_related("gift")),
                Prefetch("promised_gifts", queryset=PromisedGift.objects.select_related("recorded_by")),
            )
            .select_related("consultant_signed_by")
        )
        if self.action == "list":
            params = self.request.query_params
            if params.get("status"):
                qs = qs.filter(status=params["status"])
            store_id = query_id(self.request, "store")
            if store_id is not None:
                qs = qs.filter(store_id=store_id)
        return qs

    def _answer(self, delivery: Delivery, code: int = status.HTTP_200_OK, serializer=s.DeliverySerializer, **extra):
        fresh = self.get_queryset().get(pk=delivery.pk)
        for key, value in extra.items():
            setattr(fresh, key, value)
        return Response(serializer(fresh).data, status=code)

    @extend_schema(
        summary="Book a handover (schedule)",
        description="Refused with the order's blocker (409 `order_not_ready`) unless it is signed and paid or the "
        "loan is approved; a bay already booked at that time answers 409 `bay_taken`. Builds the PDI checklist and "
        "the document pack (origin from the VIN's WMI unless `origin` is given) and applies the gift rules.",
        request=s.ScheduleSerializer,
        responses={201: s.DeliverySerializer, **_errors(400, 403, 409)},
    )
    def create(self, request: Request) -> Response:
        data = s.ScheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        order = selectors.order_schedulable_by(request.user).filter(pk=v["order"]).first()
        if order is None:
            raise ValidationError({"order": [_("There is no such order, or you may not see it.")]})
        delivery = services.delivery_schedule(
            actor=request.user,
            order=order,
            scheduled_at=v["scheduled_at"],
            bay=v["bay"],
            origin=v.get("origin") or None,
            origin_note=v.get("origin_note", ""),
        )
        return self._answer(delivery, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move the appointment",
        request=s.RescheduleSerializer,
        responses={200: s.DeliverySerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def schedule(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        data = s.RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.delivery_reschedule(actor=request.user, delivery=delivery, **data.validated_data))

    @extend_schema(
        summary="Override the vehicle's origin (the document pack follows)",
        request=s.OriginSerializer,
        responses={200: s.DeliverySerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def origin(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        data = s.OriginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.delivery_set_origin(actor=request.user, delivery=delivery, **data.validated_data))

    @extend_schema(
        summary="Record one PDI item (passed, or failed with a note)",
        request=s.PdiInputSerializer,
        responses={200: s.DeliverySerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def pdi(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        data = s.PdiInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.pdi_check(
            actor=request.user, delivery=delivery, code=v["item"], passed=v["passed"], note=v.get("note", "")
        )
        return self._answer(delivery)

    @extend_schema(
        summary="Receive a document of the pack, or record who holds it",
        description="A document marked received twice answers 409 `document_already_received`.",
        request=s.DocumentInputSerializer,
        responses={200: s.DeliverySerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def documents(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        data = s.DocumentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["action"] == "holder":
            services.document_record_holder(
                actor=request.user,
                delivery=delivery,
                kind=v["kind"],
                holder=v.get("holder", ""),
                holder_name=v.get("holder_name", ""),
                promised_on=v.get("promised_on"),
            )
        elif v["action"] == "receive":
            services.document_receive(
                actor=request.user,
                delivery=delivery,
                kind=v["kind"],
                quantity=v.get("quantity"),
                invoice_number=v.get("invoice_number", ""),
                invoice_date=v.get("invoice_date"),
                note=v.get("note", ""),
            )
        else:
            raise ValidationError({"action": [_("Choose receive or holder.")]})
        return self._answer(delivery)

    @extend_schema(
        summary="Mark the car prepared (PDI passed, pack complete)",
        description="Refused with 409 `not_prepared` and a `missing` list otherwise.",
        request=None,
        responses={200: s.DeliverySerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def prepare(self, request: Request, pk: str) -> Response:
        no_input(request)
        return self._answer(services.delivery_mark_prepared(actor=request.user, delivery=self.get_object()))

    @extend_schema(
        summary="Give a gift on this delivery (quantity 0 takes it back)",
        request=s.GiftChoiceSerializer,
        responses={200: s.DeliverySerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def gifts(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        data = s.GiftChoiceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gift = GiftItem.objects.filter(pk=data.validated_data["gift"], store_id=delivery.store_id).first()
        if gift is None:
            raise ValidationError({"gift": [_("Choose one of this store's gifts.")]})
        services.delivery_gift_set(
            actor=request.user, delivery=delivery, gift=gift, quantity=data.validated_data["quantity"]
        )
        return self._answer(delivery)

    @extend_schema(
        summary="Record the handover: explanation checklist and odometer",
        description="An odometer above the store's limit (default 50 km) is a warning, not a refusal.",
        request=s.HandoverInputSerializer,
        responses={200: s.HandoverAnswerSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def handover(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        data = s.HandoverInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        delivery, warnings = services.delivery_record_handover(
            actor=request.user, delivery=delivery, **data.validated_data
        )
        return self._answer(delivery, serializer=s.HandoverAnswerSerializer, warnings=warnings)

    @extend_schema(
        summary="Both sides sign: the car is handed over",
        description="Generates the confirmation PDF (SHA-256 stored), takes the gifts from stock, delivers the order "
        "and the vehicle, starts the warranty clocks, makes the customer an owner and plans the follow-up calls.",
        request=s.ConfirmInputSerializer,
        responses={200: s.DeliverySerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def confirm(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        data = s.ConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.delivery_confirm(
            actor=request.user, delivery=delivery, customer_name=v["customer_name"], signature=v.get("signature")
        )
        return self._answer(delivery)

    @extend_schema(
        summary="The signed delivery confirmation (交车确认单) as PDF",
        operation_id="v1_deliveries_confirmation_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="confirmation.pdf",
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=FirstRendererNegotiation,
    )
    def confirmation_pdf(self, request: Request, pk: str) -> HttpResponse:
        row = (
            selectors.delivery_visible_to(request.user)
            .filter(pk=pk)
            .values_list("number", "confirmation_sha256", "confirmation_pdf")
            .first()
        )
        if row is None or not row[1]:
            raise Http404
        number, sha256, content = row
        response = HttpResponse(bytes(content), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="delivery-{number}.pdf"'
        response["X-Content-SHA256"] = sha256
        response["Cache-Control"] = "no-store"
        return response

    # ------------------------------------------------------------ promised gifts (the contract's, at the handover)

    def _promised(self, delivery: Delivery, promised_id: str) -> PromisedGift:
        row = PromisedGift.objects.filter(pk=parse_id(promised_id) or 0, delivery_id=delivery.pk).first()
        if row is None:
            raise Http404
        return row

    def _store_gift(self, delivery: Delivery, gift_id: int | None) -> GiftItem | None:
        if gift_id is None:
            return None
        gift = GiftItem.objects.filter(pk=gift_id, store_id=delivery.store_id).first()
        if gift is None:
            raise ValidationError({"gift": [_("Choose one of this store's gifts.")]})
        return gift

    @extend_schema(
        summary="A promised gift is handed over",
        description="At the handover of a prepared car (409 `not_prepared`); `gift` links it to the store's gift "
        "item, taken from stock when the confirmation is signed.",
        request=s.PromisedGiftHandOverSerializer,
        responses={200: s.DeliverySerializer, **_errors(400, 403, 404, 409)},
    )
    @action(
        detail=True, methods=["post"], url_path=r"promised-gifts/(?P<promised_id>[0-9]+)/hand-over", filter_backends=[]
    )
    def promised_gift_hand_over(self, request: Request, pk: str, promised_id: str) -> Response:
        delivery = self.get_object()
        data = s.PromisedGiftHandOverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.promised_gift_hand_over(
            actor=request.user,
            delivery=delivery,
            promised=self._promised(delivery, promised_id),
            gift=self._store_gift(delivery, data.validated_data.get("gift")),
        )
        return self._answer(delivery)

    @extend_schema(
        summary="A promised gift is replaced by another",
        description="What was given instead and why; the confirmation prints it beside the customer's signature.",
        request=s.PromisedGiftSubstituteSerializer,
        responses={200: s.DeliverySerializer, **_errors(400, 403, 404, 409)},
    )
    @action(
        detail=True, methods=["post"], url_path=r"promised-gifts/(?P<promised_id>[0-9]+)/substitute", filter_backends=[]
    )
    def promised_gift_substitute(self, request: Request, pk: str, promised_id: str) -> Response:
        delivery = self.get_object()
        data = s.PromisedGiftSubstituteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.promised_gift_substitute(
            actor=request.user,
            delivery=delivery,
            promised=self._promised(delivery, promised_id),
            substitute=v["substitute"],
            reason=v["reason"],
            gift=self._store_gift(delivery, v.get("gift")),
        )
        return self._answer(delivery)

    @extend_schema(
        summary="Undo what was recorded for a promised gift (before the confirmation is signed)",
        request=None,
        responses={200: s.DeliverySerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path=r"promised-gifts/(?P<promised_id>[0-9]+)/reset", filter_backends=[])
    def promised_gift_reset(self, request: Request, pk: str, promised_id: str) -> Response:
        delivery = self.get_object()
        no_input(request)
        services.promised_gift_reset(
            actor=request.user, delivery=delivery, promised=self._promised(delivery, promised_id)
        )
        return self._answer(delivery)

    # ------------------------------------------------------------ handover photos

    def _photo(self, request: Request, pk: str, photo_id: str):
        delivery_id, photo_id = parse_id(pk), parse_id(photo_id)
        if delivery_id is None or photo_id is None:
            raise Http404
        photo = selectors.photos_visible_to(request.user).filter(pk=photo_id, delivery_id=delivery_id).first()
        if photo is None:
            raise Http404
        return photo

    @extend_schema(
        methods=["GET"],
        summary="List the handover photos",
        responses={200: s.HandoverPhotoSerializer(many=True), 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="Upload handover photos (multipart, several at once)",
        description="Only while the car is prepared and being handed over (409 `photos_not_open`, after the handover "
        "409 `photos_locked`). Each file must really be a JPEG, PNG or WebP image of at most 10 MB; it is turned "
        "upright, downscaled to at most 2048 px and stored without EXIF (GPS). The good files are kept; each bad "
        "one is listed under `rejected` with its reason. 400 when none was kept.",
        request={"multipart/form-data": s.PhotoUploadSerializer},
        responses={201: s.PhotoUploadAnswerSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def photos(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        if request.method == "GET":
            rows = selectors.photos_visible_to(request.user).filter(delivery=delivery)
            return Response(s.HandoverPhotoSerializer(rows, many=True).data)
        data = s.PhotoUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created, refused = services.photos_upload(
            actor=request.user,
            delivery=delivery,
            files=request.FILES.getlist("files"),
            caption=data.validated_data.get("caption", ""),
        )
        rejected = [{"name": r.name, "code": r.code, "detail": r.detail} for r in refused]
        if not created:
            return Response(
                {"code": "invalid", "files": [r["detail"] for r in rejected], "rejected": rejected},
                status=status.HTTP_400_BAD_REQUEST,
            )
        body = {"photos": s.HandoverPhotoSerializer(created, many=True).data, "rejected": rejected}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="One handover photo (the image)",
        operation_id="v1_deliveries_photo_file",
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/webp"): OpenApiTypes.BINARY,
            404: ERRORS[404],
        },
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove a handover photo",
        description="By whoever uploaded it or a manager, before the car is handed over (then 409 `photos_locked`).",
        operation_id="v1_deliveries_photo_delete",
        request=None,
        responses={204: None, **_errors(403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"photos/(?P<photo_id>[0-9]+)",
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=FirstRendererNegotiation,
    )
    def photo(self, request: Request, pk: str, photo_id: str):
        photo = self._photo(request, pk, photo_id)
        if request.method == "GET":
            return photo_response(photo)
        services.photo_delete(actor=request.user, photo=photo)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="A handover photo's thumbnail (JPEG)",
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"photos/(?P<photo_id>[0-9]+)/thumbnail",
        filter_backends=[],
        pagination_class=None,
        content_negotiation_class=FirstRendererNegotiation,
    )
    def photo_thumbnail(self, request: Request, pk: str, photo_id: str):
        return photo_response(self._photo(request, pk, photo_id), thumbnail=True)


@extend_schema_view(
    list=extend_schema(summary="List gift items with stock", responses={200: s.GiftSerializer(many=True)}),
    retrieve=extend_schema(summary="One gift item", responses={200: s.GiftSerializer, 404: ERRORS[404]}),
)
@extend_schema(tags=["gifts"])
class GiftViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Gift items of the caller's stores with their stock; store administrators and clerks manage them."""

    serializer_class = s.GiftSerializer
    pagination_class = KeysetPagination
    queryset = GiftItem.objects.none()

    def get_queryset(self) -> QuerySet[GiftItem]:
        qs = selectors.gift_visible_to(self.request.user)
        store_id = query_id(self.request, "store") if self.action == "list" else None
        if store_id is not None:
            qs = qs.filter(store_id=store_id)
        return qs

    @extend_schema(
        summary="Add a gift item",
        request=s.GiftCreateSerializer,
        responses={201: s.GiftSerializer, **_errors(400, 403)},
    )
    def create(self, request: Request) -> Response:
        data = s.GiftCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        store_id = v.pop("store")
        store = next((st for st in selectors.gift_stores(request.user) if st.pk == store_id), None)
        if store is None:
            raise ValidationError({"store": [_("You do not work in this store.")]})
        gift = services.gift_create(actor=request.user, store=store, **v)
        return Response(s.GiftSerializer(gift).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add to stock (or write off, with a reason)",
        request=s.RestockSerializer,
        responses={200: s.GiftSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def restock(self, request: Request, pk: str) -> Response:
        gift = self.get_object()
        data = s.RestockSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gift = services.gift_restock(actor=request.user, gift=gift, **data.validated_data)
        return Response(s.GiftSerializer(gift).data)

    @extend_schema(
        summary="Add a gift rule (by trim, promotion or order value)",
        request=s.GiftRuleInputSerializer,
        responses={201: s.GiftRuleSerializer, **_errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def rules(self, request: Request, pk: str) -> Response:
        gift = self.get_object()
        data = s.GiftRuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        if v.get("trim") is not None:
            v["trim"] = Trim.objects.filter(pk=v["trim"]).first()
            if v["trim"] is None:
                raise ValidationError({"trim": [_("There is no such trim.")]})
        if not user_can(request.user, "store.manage", gift):
            raise NotPermitted()  # before any lookup: refused for the role, whatever the ids say
        if v.get("promotion") is not None:
            # only promotions the gift's store could run: another group's id reads like one that does not exist
            v["promotion"] = selectors.rule_promotions(request.user, [gift.store]).filter(pk=v["promotion"]).first()
            if v["promotion"] is None:
                raise ValidationError({"promotion": [_("There is no such promotion.")]})
        rule = services.gift_rule_create(actor=request.user, gift=gift, **v)
        return Response(s.GiftRuleSerializer(rule).data, status=status.HTTP_201_CREATED)
