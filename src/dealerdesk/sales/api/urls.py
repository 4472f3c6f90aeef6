"""API of the sales app under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from dealerdesk.core.api import FirstRendererNegotiation

from . import views

router = SimpleRouter()
router.register("orders", views.OrderViewSet, basename="api-order")
router.register("contracts", views.ContractViewSet, basename="api-contract")
router.register("payments", views.PaymentViewSet, basename="api-payment")

urlpatterns = [
    path(
        "contracts/<int:pk>/contract.pdf",
        views.ContractViewSet.as_view({"get": "pdf"}, content_negotiation_class=FirstRendererNegotiation),
        name="api-contract-pdf",
    ),
    *router.urls,
]
