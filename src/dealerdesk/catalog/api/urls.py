from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("catalog/brands", views.BrandViewSet, basename="api-brand")
router.register("catalog/series", views.SeriesViewSet, basename="api-series")
router.register("catalog/trims", views.TrimViewSet, basename="api-trim")
router.register("stock", views.StockViewSet, basename="api-stock")

urlpatterns = router.urls
