from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("imports", views.ImportJobViewSet, basename="import")

urlpatterns = [
    path(
        "imports/<int:pk>/errors.xlsx",
        views.ImportJobViewSet.as_view({"get": "errors_xlsx"}),
        name="api_import_errors_xlsx",
    ),
    *router.urls,
]
