from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dealerdesk.core import views as core_views

admin.site.site_header = "DealerDesk"
admin.site.site_title = "DealerDesk"
handler404 = core_views.page_not_found  # JSON under /api/

urlpatterns = [
    # browsers ask for /favicon.ico whatever the page's <link rel=icon> says
    path("favicon.ico", core_views.favicon),
    path("", include("dealerdesk.customers.urls_work")),
    path("customers/", include("dealerdesk.customers.urls")),
    path("", include("dealerdesk.customers.urls_admin")),
    path("imports/", include("dealerdesk.imports.urls")),
    path("showroom/", include("dealerdesk.showroom.urls")),
    path("offers/", include("dealerdesk.offers.urls")),
    path("catalog/", include("dealerdesk.catalog.urls")),
    path("test-drives/", include("dealerdesk.testdrives.urls")),
    path("sales/", include("dealerdesk.sales.urls")),
    path("deliveries/", include("dealerdesk.deliveries.urls")),
    path("registrations/", include("dealerdesk.registrations.urls")),
    path("care/", include("dealerdesk.care.urls")),
    path("", include("dealerdesk.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("dealerdesk.config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
]
