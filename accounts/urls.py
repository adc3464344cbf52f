from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.views import auth, people

app_name = "accounts"
urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("setup/", auth.setup, name="setup"),
    path("password/", auth.password_change, name="password_change"),
    path("password/done/", auth.password_change_done, name="password_change_done"),
    path("people/", people.people, name="people"),
]
