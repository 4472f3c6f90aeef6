"""Pages of the testdrives app (under /test-drives/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.testdrive_day, name="testdrive_day"),
    path("new/", views.testdrive_new, name="testdrive_new"),
    path("my-day/", views.testdrive_my_day, name="testdrive_my_day"),
    path("customers/", views.testdrive_customer_search, name="testdrive_customer_search"),
    path("fleet/", views.demo_car_list, name="demo_car_list"),
    path("fleet/<int:pk>/status/", views.demo_car_status, name="demo_car_status"),
    path("fleet/<int:pk>/odometer/", views.demo_car_odometer, name="demo_car_odometer"),
    path("settings/<slug:store_code>/", views.testdrive_settings, name="testdrive_settings"),
    path("<int:pk>/", views.testdrive_detail, name="testdrive_detail"),
    path("<int:pk>/licence/reveal/", views.testdrive_licence_reveal, name="testdrive_licence_reveal"),
    path("<int:pk>/agreement.pdf", views.testdrive_agreement_pdf, name="testdrive_agreement_pdf"),
    path("<int:pk>/<slug:step>/", views.testdrive_step, name="testdrive_step"),
    path("book/<slug:store_code>/", views.public_book, name="testdrive_public_book"),
    path("book/<slug:store_code>/slots/", views.public_slots, name="testdrive_public_slots"),
    path("feedback/<str:token>/", views.public_feedback, name="testdrive_public_feedback"),
    path("calendar/<str:token>.ics", views.public_calendar, name="testdrive_public_calendar"),
]
