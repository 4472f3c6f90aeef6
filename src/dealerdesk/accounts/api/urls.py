from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("stores", views.StoreViewSet, basename="store")

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="api_token"),
    path("me/", views.MeView.as_view(), name="api_me"),
    *router.urls,
]
