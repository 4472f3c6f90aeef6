"""Work pages: my day, the manager desk and its actions, the customer report."""

from django.urls import path

from . import views_work

urlpatterns = [
    path("my-day/", views_work.my_day, name="my_day"),
    path("manager/", views_work.manager_desk, name="manager_desk"),
    path("manager/reassign/", views_work.customers_reassign, name="customers_reassign"),
    path("manager/loss-requests/<int:pk>/decide/", views_work.loss_request_decide, name="loss_request_decide"),
    path("manager/feedback/<int:pk>/status/", views_work.feedback_status, name="feedback_status"),
    path("reports/customers/", views_work.customer_report, name="customer_report"),
    path("reports/customers.xlsx", views_work.customer_report_xlsx, name="customer_report_xlsx"),
]
