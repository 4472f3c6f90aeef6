from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("visits", views.VisitViewSet, basename="api-visit")
router.register("needs-assessments", views.NeedsAssessmentViewSet, basename="api-needs-assessment")

urlpatterns = [
    path("recommendations/", views.RecommendationView.as_view(), name="api-recommendations"),
    *router.urls,
]
