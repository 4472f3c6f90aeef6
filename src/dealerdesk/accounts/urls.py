from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("language/", views.set_language, name="set_language"),
    path("audit/", views.audit_list, name="audit_list"),
    path("outbox/", views.outbox_list, name="outbox_list"),
    path("outbox/<int:pk>/retry/", views.outbox_retry, name="outbox_retry"),
    path("staff/", views.staff_list, name="staff_list"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/badge/", views.inbox_badge, name="inbox_badge"),
    path("inbox/read-all/", views.inbox_mark_all_read, name="inbox_mark_all_read"),
]
