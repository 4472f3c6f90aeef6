from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from .. import selectors
from ..views import LOCKED_MESSAGE
from .serializers import MeSerializer, StoreSerializer, TokenRequestSerializer, TokenSerializer


class TokenObtainView(APIView):
    """Exchange a username and password for an API token (the same lockout rules as the login page)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="wrong credentials"),
            429: OpenApiResponse(description="locked out"),
        },
        tags=["auth"],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = authenticate(request._request, **data.validated_data)
        except AxesBackendPermissionDenied:
            user = None
        if getattr(request._request, "axes_locked_out", False):
            return Response(
                {"code": "locked_out", "detail": _(LOCKED_MESSAGE)}, status=status.HTTP_429_TOO_MANY_REQUESTS
            )
        if user is None or not user.is_active:
            return Response(
                {"code": "invalid_login", "detail": _("The username or password is not correct.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    """The signed-in person, their language and their roles per store."""

    @extend_schema(responses=MeSerializer, tags=["auth"])
    def get(self, request):
        return Response(MeSerializer(request.user).data)


@extend_schema(tags=["stores"])
class StoreViewSet(viewsets.ReadOnlyModelViewSet):
    """Stores the caller belongs to (a group admin: the whole group)."""

    serializer_class = StoreSerializer

    def get_queryset(self):
        return selectors.store_visible_to(self.request.user).order_by("-id")
