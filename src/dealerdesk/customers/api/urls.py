from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="api-customer")
router.register("follow-ups", views.FollowUpViewSet, basename="api-followup")

urlpatterns = [
    path("lead-sources/", views.LeadSourceListView.as_view(), name="api-lead-source-list"),
    *router.urls,
]
