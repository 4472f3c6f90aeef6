from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("new/", views.import_upload, name="import_upload"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/mapping/", views.import_mapping, name="import_mapping"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/dry-run/", views.import_dry_run, name="import_dry_run"),
    path("<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("<int:pk>/errors.xlsx", views.import_errors_xlsx, name="import_errors_xlsx"),
]
