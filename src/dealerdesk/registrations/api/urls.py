"""API of the registrations app under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("registrations", views.RegistrationViewSet, basename="api-registration")

urlpatterns = router.urls
