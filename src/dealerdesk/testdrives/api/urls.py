"""API of the testdrives app under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from dealerdesk.core.api import FirstRendererNegotiation

from . import views

router = SimpleRouter()
router.register("test-drives", views.TestDriveViewSet, basename="api-testdrive")
router.register("demo-cars", views.DemoCarViewSet, basename="api-democar")

_files = {"content_negotiation_class": FirstRendererNegotiation, "pagination_class": None}

urlpatterns = [
    path("public/test-drives/book/", views.PublicBookingView.as_view(), name="api-testdrive-public-book"),
    path("public/test-drives/slots/", views.PublicSlotsView.as_view(), name="api-testdrive-public-slots"),
    path("public/test-drives/feedback/", views.PublicFeedbackView.as_view(), name="api-testdrive-public-feedback"),
    # the file names the issue gives, without a trailing slash
    path(
        "test-drives/<int:pk>/agreement.pdf",
        views.TestDriveViewSet.as_view({"get": "agreement_pdf"}, **_files),
        name="api-testdrive-agreement-pdf",
    ),
    path(
        "test-drives/<int:pk>/calendar.ics",
        views.TestDriveViewSet.as_view({"get": "calendar"}, **_files),
        name="api-testdrive-calendar",
    ),
    *router.urls,
]
