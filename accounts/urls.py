from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import audit_views, dashboard_views, notification_views, two_factor_views, views
from accounts.calendar_views import calendar_feed

urlpatterns = [
    path("", views.home, name="home"),
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
    path("orgs/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/<int:pk>/", notification_views.notification_open, name="notification_open"),
    path("notifications/read-all/", notification_views.notifications_read_all, name="notifications_read_all"),
    path("notifications/settings/", notification_views.notification_settings, name="notification_settings"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
    path("audit/", audit_views.audit_log, name="audit_log"),
]
