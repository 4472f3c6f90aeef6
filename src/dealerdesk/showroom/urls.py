"""Showroom pages under /showroom/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.reception_desk, name="reception_desk"),
    path("desk/live/", views.reception_live, name="reception_live"),
    path("arrivals/", views.visit_arrive, name="visit_arrive"),
    path("presence/", views.presence_set, name="presence_set"),
    path("check-in/", views.visit_check_in, name="visit_check_in"),
    path("board/", views.traffic_board, name="traffic_board"),
    path("report/", views.traffic_report, name="traffic_report"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/assign/", views.visit_assign, name="visit_assign"),
    path("visits/<int:pk>/leave/", views.visit_leave, name="visit_leave"),
    path("visits/<int:pk>/refreshments/", views.visit_refreshments, name="visit_refreshments"),
    path("visits/<int:pk>/customer/search/", views.visit_customer_search, name="visit_customer_search"),
    path("visits/<int:pk>/customer/link/", views.visit_link_customer, name="visit_link_customer"),
    path("visits/<int:pk>/customer/register/", views.visit_register_customer, name="visit_register_customer"),
    path("needs/", views.needs_list, name="needs_list"),
    path("needs/new/", views.needs_create, name="needs_create"),
    path("needs/<int:pk>/", views.needs_detail, name="needs_detail"),
    path("needs/<int:pk>/grade/", views.needs_confirm_grade, name="needs_confirm_grade"),
    path("needs/<int:pk>/advice/", views.needs_record_advice, name="needs_record_advice"),
    path("presentations/new/", views.presentation_create, name="presentation_create"),
    path("presentations/<int:pk>/", views.presentation_detail, name="presentation_detail"),
    path("compare/", views.trim_compare, name="trim_compare"),
    path("compare.pdf", views.trim_compare_pdf, name="trim_compare_pdf"),
]
