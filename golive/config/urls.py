"""Root URLs: the web UI, the API under /api/v1/, Django admin for site admins."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from golive.config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", include("golive.web.urls")),
]
