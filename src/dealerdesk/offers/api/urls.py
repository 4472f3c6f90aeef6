from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("promotions", views.PromotionViewSet, basename="api-promotion")
router.register("offers", views.OfferViewSet, basename="api-offer")

urlpatterns = router.urls
