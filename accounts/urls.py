from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("orgs/", views.organization_tree, name="organization_tree"),
    path("orgs/import/", views.organization_import, name="organization_import"),
    path("orgs/<int:pk>/", views.organization_detail, name="organization_detail"),
]
