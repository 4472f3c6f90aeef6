from django.urls import path

from . import views_admin, views_privacy

urlpatterns = [
    path("customers-export/", views_admin.customer_export, name="customer_export"),
    path("settings/grades/", views_admin.grade_settings, name="grade_settings"),
    path("settings/lead-sources/", views_admin.lead_source_settings, name="lead_source_settings"),
]

urlpatterns += [
    path("customers/<int:pk>/more/", views_privacy.customer_more, name="customer_more"),
    path("customers/<int:pk>/feedback/", views_privacy.customer_feedback_add, name="customer_feedback_add"),
    path("customers/<int:pk>/data-requests/", views_privacy.customer_subject_request, name="customer_subject_request"),
    path("customers/<int:pk>/data-export/", views_privacy.customer_subject_export, name="customer_subject_export"),
    path("customers/<int:pk>/erase/", views_privacy.customer_erase, name="customer_erase"),
    path("customers/<int:pk>/merge/", views_privacy.customer_merge_view, name="customer_merge"),
]
