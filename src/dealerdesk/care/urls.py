from django.urls import path

from . import views

urlpatterns = [
    path("", views.care_day, name="care_day"),
    path("calls/<int:pk>/", views.care_call, name="care_call"),
    path("calls/<int:pk>/complete/", views.care_call_complete, name="care_call_complete"),
    path("scripts/", views.script_list, name="care_script_list"),
    path("scripts/<str:store_code>/<str:call_type>/", views.script_edit, name="care_script_edit"),
]
