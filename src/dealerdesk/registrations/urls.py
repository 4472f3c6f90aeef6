"""Pages of the registrations app."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.registration_list, name="registration_list"),
    path("overdue/", views.registration_overdue, name="registration_overdue"),
    path("new/", views.registration_open, name="registration_open"),
    path("<int:pk>/", views.registration_detail, name="registration_detail"),
    path("<int:pk>/documents/", views.registration_receive, name="registration_receive"),
    path("<int:pk>/submit/", views.registration_submit, name="registration_submit"),
    path("<int:pk>/plate/", views.registration_plate, name="registration_plate"),
    path("<int:pk>/complete/", views.registration_complete, name="registration_complete"),
    path("<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
    path("<int:pk>/case/", views.registration_case, name="registration_case"),
    path("<int:pk>/assign/", views.registration_assign, name="registration_assign"),
    path("settings/<slug:store_code>/", views.registration_settings, name="registration_settings"),
    path("<int:pk>/print/", views.registration_print, name="registration_print"),
    path("<int:pk>/checklist.pdf", views.registration_checklist_pdf, name="registration_checklist_pdf"),
]
