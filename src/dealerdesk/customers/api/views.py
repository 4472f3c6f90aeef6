"""Customers and follow-ups over the API. Reads start from the selectors (not visible → 404); every state change
is an explicit action with an input serializer that calls one service."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dealerdesk.accounts.selectors import staff_of_store, store_visible_to
from dealerdesk.core.api import ERRORS, IDEMPOTENCY_HEADER, FirstRendererNegotiation, idempotent, query_id
from dealerdesk.core.api import error_responses as _errors
from dealerdesk.core.errors import DomainError, NotPermitted
from dealerdesk.core.models import AuditEntry
from dealerdesk.core.pagination import KeysetPagination
from dealerdesk.core.scoping import scope_to_stores

from .. import merge, privacy, search, services, visibility
from ..filters import CustomerFilter, FollowUpFilter
from ..lead_sources import lead_sources_of
from ..models import Customer, FollowUp
from ..selectors import customer_get, customer_visible_to, followup_visible_to
from . import serializers as s

TIMELINE_LIMIT = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- helpers


def _store_for_create(request: Request, store_id: int | None):
    stores = store_visible_to(request.user)
    if store_id is not None:
        store = stores.filter(pk=store_id).first()
        if store is None:
            raise ValidationError({"store": [_("You do not work in this store.")]})
        return store
    candidates = list(stores[:2])
    if len(candidates) != 1:
        raise ValidationError({"store": [_("Choose the store the customer belongs to.")]})
    return candidates[0]


def _staff_member(request: Request, store, user_id: int, field: str):
    """A colleague of `store` by user id (the service checks their role), or a field error."""
    membership = staff_of_store(request.user, store).filter(user_id=user_id).select_related("user").first()
    if membership is None:
        raise ValidationError({field: [_("Choose a sales consultant of this store.")]})
    return membership.user


# ---------------------------------------------------------------- customers


@extend_schema_view(
    list=extend_schema(summary="List customers", responses={200: s.CustomerSerializer(many=True), **_errors(400)}),
)
@extend_schema(tags=["customers"])
class CustomerViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Customers of the caller's stores (a consultant: their own), each cut to the fields the caller's role sees
    (docs/decisions/0013-field-visibility.md): reception gets the reduced card. Mobile and ID numbers always come back
    masked."""

    serializer_class = s.CustomerSerializer
    filterset_class = CustomerFilter
    pagination_class = KeysetPagination
    queryset = Customer.objects.none()  # for schema introspection; requests use get_queryset

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_visible_to(self.request.user)

    def _customer(self) -> Customer:
        return self.get_object()

    def _answer(self, customer: Customer, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.CustomerSerializer(customer, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Register a customer",
        request=s.CustomerCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: s.CustomerSerializer,
            **_errors(400, 403),
            409: OpenApiResponse(
                description="`duplicate_customer`: with `field` and `existing_id` when the caller may open that "
                "customer (and, for an ID number, reveal it); otherwise only that a customer with these details "
                "exists. Every duplicate hit is written to the access log as a lookup."
            ),
        },
    )
    def create(self, request: Request) -> Response:
        data = s.CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)

        def create() -> Customer:
            store = _store_for_create(request, fields.pop("store", None))
            owner_id = fields.pop("owner", None)
            owner = _staff_member(request, store, owner_id, "owner") if owner_id is not None else None
            return services.customer_create(actor=request.user, store=store, owner=owner, **fields)

        customer, _replayed = idempotent(
            request,
            scope="customers.create",
            create=create,
            replay=lambda pk: customer_visible_to(request.user).filter(pk=pk).first(),
        )
        return self._answer(customer, status.HTTP_201_CREATED)

    @extend_schema(
        summary="One customer",
        responses={
            200: s.CustomerSerializer,
            301: OpenApiResponse(description="merged into another customer: `Location` is the surviving record"),
            404: ERRORS[404],
        },
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        if not pk.isdigit():
            raise NotFound()
        try:
            customer = customer_get(request.user, int(pk))
        except Customer.DoesNotExist:
            raise NotFound() from None
        if customer.merged_into_id:
            return HttpResponsePermanentRedirect(reverse("api-customer-detail", args=[customer.merged_into_id]))
        return self._answer(customer)

    @extend_schema(
        summary="Change basic information",
        request=s.CustomerUpdateSerializer,
        responses={200: s.CustomerSerializer, **_errors(400, 403, 404, 409)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        customer = self._customer()
        data = s.CustomerUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return self._answer(services.customer_update(actor=request.user, customer=customer, **data.validated_data))

    @extend_schema(
        summary="Search customers",
        description="One box: name fragment, pinyin or initials, mobile (full or last 4), plate, VIN tail. "
        "The term travels in the body, never in the URL. At most 20 results, best first. "
        "A caller who sees mobiles only masked finds a mobile by the whole number only; each such search is "
        "logged as a lookup and limited per user (429 `search_rate_limited`, with Retry-After).",
        request=s.SearchRequestSerializer,
        responses={
            200: s.CustomerSearchResponseSerializer,
            400: ERRORS[400],
            429: OpenApiResponse(
                description="too many searches by a whole mobile: `code`, translated `detail`, `retry_after` seconds"
            ),
        },
    )
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def search(self, request: Request) -> Response:
        data = s.SearchRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            found = search.search_customers(request.user, data.validated_data["q"])
        except search.SearchLimited as exc:
            return Response(exc.as_dict(), status=exc.status, headers={"Retry-After": str(exc.retry_after)})
        results = s.CustomerSearchResultSerializer(found, many=True, context=self.get_serializer_context()).data
        return Response({"results": results})

    @extend_schema(
        summary="Reveal a masked field",
        description="The full mobile or ID number, for roles allowed to see it. Every reveal is logged.",
        request=s.RevealRequestSerializer,
        responses={200: s.RevealSerializer, **_errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reveal(self, request: Request, pk: str) -> Response:
        customer = self._customer()
        data = s.RevealRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        field = data.validated_data["field"]
        value = privacy.customer_reveal(
            actor=request.user, customer=customer, field=field, reason=data.validated_data["reason"]
        )
        response = Response({"field": field, "value": value})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="History of the customer",
        description=f"The customer's audit entries, newest first, at most {TIMELINE_LIMIT}. Each change shows only "
        "the fields the caller's role sees of the customer; reception (reduced card, no history) gets 403.",
        responses={200: s.TimelineSerializer, **_errors(403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request: Request, pk: str) -> Response:
        customer = self._customer()
        if not visibility.sees(request.user, visibility.CUSTOMER, customer, "history"):
            raise NotPermitted(_("Your role sees a reduced customer card, without its history."))
        entries = (
            scope_to_stores(AuditEntry.objects.all(), request.user)
            .filter(target_type=Customer._meta.label_lower, target_id=str(customer.pk))
            .select_related("actor")
            .order_by("-created_at", "-id")[:TIMELINE_LIMIT]
        )
        context = {**self.get_serializer_context(), "customer": customer}
        return Response({"results": s.TimelineEntrySerializer(entries, many=True, context=context).data})

    @extend_schema(
        summary="Change the intent grade",
        description="The next follow-up is rescheduled by the new grade's interval.",
        request=s.GradeRequestSerializer,
        responses={200: s.CustomerSerializer, **_errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def grade(self, request: Request, pk: str) -> Response:
        customer = self._customer()
        data = s.GradeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grade = data.validated_data["intent_grade"].strip().upper()
        return self._answer(services.customer_set_grade(actor=request.user, customer=customer, grade=grade))

    @extend_schema(
        summary="Hand the customer to another consultant",
        request=s.AssignRequestSerializer,
        responses={200: s.CustomerSerializer, **_errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def assign(self, request: Request, pk: str) -> Response:
        customer = self._customer()
        data = s.AssignRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new_owner = _staff_member(request, customer.store, data.validated_data["owner"], "owner")
        try:
            services.customers_assign(
                actor=request.user, customers=[customer], new_owner=new_owner, reason=data.validated_data["reason"]
            )
        except DomainError as exc:
            if exc.field == "new_owner":
                exc.field = "owner"  # the service's argument is called new_owner; this API's field is owner
            raise
        customer.refresh_from_db()
        return self._answer(customer)

    @extend_schema(
        methods=["GET"],
        summary="Consents of the customer",
        responses={200: s.ConsentListSerializer, 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="Grant or withdraw a consent",
        description="Answers with every consent of the customer after the change. Withdrawing a consent that is "
        "not active changes nothing.",
        request=s.ConsentActionSerializer,
        responses={200: s.ConsentListSerializer, **_errors(400, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def consents(self, request: Request, pk: str) -> Response:
        customer = self._customer()
        if request.method == "POST":
            data = s.ConsentActionSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            if values["action"] == "grant":
                services.consent_grant(
                    actor=request.user,
                    customer=customer,
                    purpose=values["purpose"],
                    channel=values["channel"],
                    notice_version=values.get("notice_version", ""),
                )
            else:
                services.consent_withdraw(actor=request.user, customer=customer, purpose=values["purpose"])
        consents = customer.consents.order_by("-granted_at", "-id")
        return Response({"results": s.ConsentSerializer(consents, many=True).data})

    @extend_schema(
        summary="Merge a duplicate into this customer",
        description="Everything of the duplicate moves here; the duplicate stays as an alias that redirects.",
        request=s.MergeRequestSerializer,
        responses={200: s.CustomerSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def merge(self, request: Request, pk: str) -> Response:
        survivor = self._customer()
        data = s.MergeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        merged = customer_visible_to(request.user).filter(pk=data.validated_data["merged_id"]).first()
        if merged is None:
            raise ValidationError({"merged_id": [_("There is no such customer, or it was already merged.")]})
        survivor = merge.customer_merge(actor=request.user, survivor=survivor, merged=merged)
        return self._answer(survivor)

    @extend_schema(
        summary="Export the customer's data (subject access request)",
        description="Everything held about the person, as JSON or XLSX. Logged as an export.",
        parameters=[s.SubjectExportQuerySerializer],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, XLSX): OpenApiTypes.BINARY,
            **_errors(400, 403, 404),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="subject-export",
        pagination_class=None,
        filter_backends=[],
        content_negotiation_class=FirstRendererNegotiation,
    )
    def subject_export(self, request: Request, pk: str) -> HttpResponse:
        customer = self._customer()
        query = s.SubjectExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        fmt = query.validated_data["format"]
        content, content_type = privacy.customer_subject_export(actor=request.user, customer=customer, fmt=fmt)
        response = HttpResponse(content, content_type=content_type)
        if fmt == "xlsx":
            response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.xlsx"'
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="Erase the customer's personal data",
        description="Anonymises the person; records under legal hold stay.",
        request=s.EraseRequestSerializer,
        responses={200: s.CustomerSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def erase(self, request: Request, pk: str) -> Response:
        customer = self._customer()
        data = s.EraseRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            privacy.customer_erase(actor=request.user, customer=customer, reason=data.validated_data["reason"])
        )


# ---------------------------------------------------------------- follow-ups


class FollowUpPagination(KeysetPagination):
    """A to-do list: the soonest due first."""

    ordering = ("due_at", "id")


@extend_schema_view(list=extend_schema(summary="List follow-ups", responses={200: s.FollowUpSerializer(many=True)}))
@extend_schema(tags=["follow-ups"])
class FollowUpViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Follow-ups of the customers the caller may see, soonest due first, cut to the fields the caller's role sees
    (reception: who, when, why and the status; not the channel, outcome, notes or grades)."""

    serializer_class = s.FollowUpSerializer
    filterset_class = FollowUpFilter
    pagination_class = FollowUpPagination
    queryset = FollowUp.objects.none()  # for schema introspection; requests use get_queryset

    def get_queryset(self) -> QuerySet[FollowUp]:
        return followup_visible_to(self.request.user)

    @extend_schema(
        summary="Record a follow-up as done",
        description=(
            "Answers with the done follow-up and the next one, planned by the (new) intent grade. A care call "
            "(post-delivery days 3 and 30, `role` care_specialist) takes `score` 1-5, `comment` and `next_step`, and "
            "opens a next care call only at `next_due_at`; a score of 2 or less or the `complaint` outcome alerts the "
            "store's sales managers at once. Who may complete: the assignee, the store's care desk for care calls, "
            "managers."
        ),
        request=s.FollowUpCompleteRequestSerializer,
        responses={200: s.FollowUpCompleteSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request: Request, pk: str) -> Response:
        follow_up = self.get_object()
        data = s.FollowUpCompleteRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["new_grade"] = (values.get("new_grade") or "").strip().upper() or None
        done, following = services.followup_complete(actor=request.user, follow_up=follow_up, **values)
        context = self.get_serializer_context()
        return Response(
            {
                "done": s.FollowUpSerializer(done, context=context).data,
                "next": s.FollowUpSerializer(following, context=context).data if following else None,
            }
        )


@extend_schema(tags=["customers"])
class LeadSourceListView(APIView):
    """The lead sources of the caller's dealer groups (issue #10.13): the values a customer's `source` takes."""

    @extend_schema(
        parameters=[OpenApiParameter("store", OpenApiTypes.INT, description=_("Only this store's group (store id)."))],
        responses={200: s.LeadSourceSerializer(many=True), **_errors(404)},
    )
    def get(self, request: Request) -> Response:
        stores = store_visible_to(request.user)
        store_id = query_id(request, "store")  # not str.isdigit: "²" is a digit to it, and int("²") a 500
        if store_id is not None:
            stores = stores.filter(pk=store_id)
            if not stores.exists():
                raise NotFound()
        group_ids = sorted(set(stores.values_list("group_id", flat=True)))
        rows = [
            {
                "group": group_id,
                "code": source.code,
                "label": source.label,
                "name": source.name,
                "name_en": source.name_en,
                "is_active": source.is_active,
            }
            for group_id in group_ids
            for source in lead_sources_of(group_id)
        ]
        return Response(s.LeadSourceSerializer(rows, many=True).data)
