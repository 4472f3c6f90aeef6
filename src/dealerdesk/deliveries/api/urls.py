"""API of the deliveries app under /api/v1/: deliveries (confirmation PDF at deliveries/{id}/confirmation.pdf) and
gifts."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("deliveries", views.DeliveryViewSet, basename="api-delivery")
router.register("gifts", views.GiftViewSet, basename="api-gift")

urlpatterns = [
    # the exact path, without the router's trailing slash
    path(
        "deliveries/<int:pk>/confirmation.pdf",
        views.DeliveryViewSet.as_view({"get": "confirmation_pdf"}),
        name="api-delivery-confirmation-pdf",
    ),
    *(u for u in router.urls if getattr(u, "name", "") != "api-delivery-confirmation-pdf"),
]
