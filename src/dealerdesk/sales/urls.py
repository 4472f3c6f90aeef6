"""Pages of the sales app (under /sales/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("new/", views.order_create, name="order_create"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/terms/", views.order_terms, name="order_terms"),
    path("<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("<int:pk>/loan/", views.order_loan, name="order_loan"),
    path("<int:pk>/payments/", views.payment_create, name="payment_create"),
    path("<int:pk>/contract/preview/", views.contract_preview, name="contract_preview"),
    path("<int:pk>/contract/", views.contract_create, name="contract_create"),
    path("contracts/<int:pk>/fill/", views.contract_fill, name="contract_fill"),
    path("contracts/<int:pk>/submit/", views.contract_submit, name="contract_submit"),
    path("contracts/<int:pk>/reopen/", views.contract_reopen, name="contract_reopen"),
    path("contracts/<int:pk>/discard/", views.contract_discard, name="contract_discard"),
    path("contracts/<int:pk>/sign/", views.contract_sign, name="contract_sign"),
    path("contracts/<int:pk>/amend/", views.contract_amend, name="contract_amend"),
    path("contracts/<int:pk>/contract.pdf", views.contract_pdf, name="contract_pdf"),
    path("contracts/archive/", views.contract_archive, name="contract_archive"),
    path("contract-templates/", views.contract_template_list, name="contract_template_list"),
    path("contract-templates/new/", views.contract_template_create, name="contract_template_create"),
]
