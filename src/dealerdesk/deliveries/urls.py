"""Pages of the deliveries app (under /deliveries/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.delivery_calendar, name="delivery_calendar"),
    path("book/", views.delivery_book, name="delivery_book"),
    path("<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("<int:pk>/reschedule/", views.delivery_reschedule, name="delivery_reschedule"),
    path("<int:pk>/pdi/", views.delivery_pdi, name="delivery_pdi"),
    path("<int:pk>/documents/", views.delivery_document, name="delivery_document"),
    path("<int:pk>/origin/", views.delivery_origin, name="delivery_origin"),
    path("<int:pk>/prepare/", views.delivery_prepare, name="delivery_prepare"),
    path("<int:pk>/gifts/", views.delivery_gift, name="delivery_gift"),
    path("<int:pk>/handover/", views.delivery_handover, name="delivery_handover"),
    path("<int:pk>/promised-gifts/<int:promised_id>/", views.delivery_promised_gift, name="delivery_promised_gift"),
    path("<int:pk>/confirm/", views.delivery_confirm, name="delivery_confirm"),
    path("<int:pk>/confirmation.pdf", views.delivery_pdf, name="delivery_pdf"),
    path("<int:pk>/photos/", views.delivery_photos, name="delivery_photos"),
    path("<int:pk>/photos/<int:photo_id>/", views.delivery_photo, name="delivery_photo"),
    path("<int:pk>/photos/<int:photo_id>/thumbnail/", views.delivery_photo_thumbnail, name="delivery_photo_thumbnail"),
    path("<int:pk>/photos/<int:photo_id>/delete/", views.delivery_photo_delete, name="delivery_photo_delete"),
    path("settings/<slug:store_code>/", views.delivery_settings, name="delivery_settings"),
    path("gifts/", views.gift_list, name="gift_list"),
    path("gifts/action/", views.gift_action, name="gift_action"),
]
