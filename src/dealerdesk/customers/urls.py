from django.urls import path

from . import views

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("search/", views.customer_search, name="customer_search"),
    path("new/", views.customer_create, name="customer_create"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/records/", views.customer_records_view, name="customer_records"),
    path("<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:pk>/reveal/<str:field>/", views.customer_reveal, name="customer_reveal"),
    path("<int:pk>/consents/", views.customer_consent, name="customer_consent"),
    path("<int:pk>/grade/", views.customer_grade, name="customer_grade"),
    path("<int:pk>/follow-ups/<int:fid>/complete/", views.followup_complete, name="followup_complete"),
    path("<int:pk>/notes/", views.customer_note, name="customer_note"),
    path("<int:pk>/lost/", views.customer_request_lost, name="customer_request_lost"),
    path("<int:pk>/needs/", views.customer_need, name="customer_need"),
    path("<int:pk>/vehicles/", views.customer_vehicle, name="customer_vehicle"),
    path("<int:pk>/contacts/", views.customer_contact, name="customer_contact"),
]
