from django.urls import path

from . import views

urlpatterns = [
    path("", views.offer_list, name="offer_list"),
    path("new/", views.offer_create, name="offer_create"),
    path("preview/", views.offer_preview, name="offer_preview"),
    path("<int:pk>/", views.offer_detail, name="offer_detail"),
    path("<int:pk>/revise/", views.offer_revise, name="offer_revise"),
    path("<int:pk>/approve/", views.offer_approve, name="offer_approve"),
    path("<int:pk>/refuse/", views.offer_refuse, name="offer_refuse"),
    path("<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("<int:pk>/pdf/", views.offer_pdf_download, name="offer_pdf"),
    path("promotions/", views.promotion_list, name="promotion_list"),
    path("promotions/new/", views.promotion_create, name="promotion_create"),
    path("promotions/<int:pk>/edit/", views.promotion_edit, name="promotion_edit"),
    path("settings/<slug:store_code>/", views.offer_settings, name="offer_settings"),
]
