"""Everything under /api/v1/. Each app adds its own api/urls.py here."""

from django.urls import include, path

urlpatterns = [
    path("", include("dealerdesk.accounts.api.urls")),
    path("", include("dealerdesk.customers.api.urls")),
    path("", include("dealerdesk.catalog.api.urls")),
    path("", include("dealerdesk.imports.api.urls")),
    path("", include("dealerdesk.offers.api.urls")),
    path("", include("dealerdesk.showroom.api.urls")),
    path("", include("dealerdesk.testdrives.api.urls")),
    path("", include("dealerdesk.sales.api.urls")),
    path("", include("dealerdesk.deliveries.api.urls")),
    path("", include("dealerdesk.registrations.api.urls")),
]
