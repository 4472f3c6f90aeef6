from django.urls import path

from . import views

urlpatterns = [
    path("", views.catalog_home, name="catalog_home"),
    path("trims/<int:pk>/", views.trim_detail, name="catalog_trim_detail"),
    path("trims/<int:pk>/price/", views.marked_price_set, name="catalog_marked_price_set"),
    path("stock/", views.stock_list, name="catalog_stock_list"),
    path("stock/receive/", views.stock_receive, name="catalog_stock_receive"),
    path("stock/<int:pk>/", views.stock_detail, name="catalog_stock_detail"),
    path("stock/<int:pk>/status/", views.stock_status, name="catalog_stock_status"),
    path("stock/<int:pk>/edit/", views.stock_update, name="catalog_stock_update"),
    path("stock/<int:pk>/demo/", views.demo_car_flag, name="catalog_demo_car_flag"),
    path("stock/<int:pk>/demo/edit/", views.demo_car_update, name="catalog_demo_car_update"),
    path("demo-cars/", views.demo_car_list, name="catalog_demo_car_list"),
    # editing the shared catalogue (store administrators)
    path("brands/", views.brand_list, name="catalog_brand_list"),
    path("brands/new/", views.brand_create, name="catalog_brand_create"),
    path("brands/<int:pk>/edit/", views.brand_edit, name="catalog_brand_edit"),
    path("brands/<int:pk>/series/", views.series_list, name="catalog_series_list"),
    path("brands/<int:pk>/series/new/", views.series_create, name="catalog_series_create"),
    path("series/<int:pk>/edit/", views.series_edit, name="catalog_series_edit"),
    path("series/<int:pk>/trims/new/", views.trim_create, name="catalog_trim_create"),
    path("trims/<int:pk>/edit/", views.trim_edit, name="catalog_trim_edit"),
    path("trims/<int:pk>/colours/new/", views.colour_create, name="catalog_colour_create"),
    path("colours/<int:pk>/edit/", views.colour_edit, name="catalog_colour_edit"),
    path("trims/<int:pk>/options/new/", views.option_create, name="catalog_option_create"),
    path("options/<int:pk>/edit/", views.option_edit, name="catalog_option_edit"),
]
