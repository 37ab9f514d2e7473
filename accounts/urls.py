from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import audit_views, first_sign_in_views, two_factor_views, views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("two-factor/", two_factor_views.two_factor_settings, name="two_factor_settings"),
    path("two-factor/verify/", two_factor_views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/enrol/", two_factor_views.two_factor_enrol, name="two_factor_enrol"),
    path("two-factor/recovery-codes/", two_factor_views.two_factor_recovery_codes, name="two_factor_recovery_codes"),
    path("two-factor/disable/", two_factor_views.two_factor_disable, name="two_factor_disable"),
    path("orgs/", views.organization_tree, name="organization_tree"),
    path("orgs/import/", views.organization_import, name="organization_import"),
    path("orgs/import/template.xlsx", views.import_template_download, name="import_template"),
    path("orgs/import/first-sign-in/", first_sign_in_views.imported_sign_in_slips, name="imported_sign_in_slips"),
    path(
        "orgs/<int:pk>/first-sign-in/",
        first_sign_in_views.organization_sign_in_slips,
        name="organization_sign_in_slips",
    ),
    path("first-sign-in/", first_sign_in_views.first_sign_in, name="first_sign_in"),
    path("orgs/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("audit/", audit_views.audit_log, name="audit_log"),
]
