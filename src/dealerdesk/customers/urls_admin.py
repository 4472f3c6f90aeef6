from django.urls import path

from . import views_admin

urlpatterns = [
    path("customers-export/", views_admin.customer_export, name="customer_export"),
    path("settings/grades/", views_admin.grade_settings, name="grade_settings"),
]
