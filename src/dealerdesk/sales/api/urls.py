"""API of the sales app under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("orders", views.OrderViewSet, basename="api-order")
router.register("contracts", views.ContractViewSet, basename="api-contract")
router.register("payments", views.PaymentViewSet, basename="api-payment")

urlpatterns = [
    path(
        "contracts/<int:pk>/contract.pdf",
        views.ContractViewSet.as_view({"get": "pdf"}, content_negotiation_class=views._AlwaysFirstRenderer),
        name="api-contract-pdf",
    ),
    *router.urls,
]
