from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views as account_views
from notifications import views as notification_views

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("similarity.urls")),
    path("", include("members.urls")),
    path("", include("meetings.urls")),
    path("", include("responsibility.urls")),
    path("", include("reviews.urls")),
    path("", include("rectification.urls")),
    path("", include("reminders.urls")),
    path("", include("workbench.urls")),
    # Django's set_language, which also remembers a signed-in person's choice for their mail and group robots.
    path("i18n/setlang/", notification_views.language_switch, name="set_language"),
    path("healthz", account_views.healthz, name="healthz"),
    # People change their own password on one page, which also ends the obligation to change it.
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="password_change"),
        name="admin_password_change_redirect",
    ),
    path("admin/", admin.site.urls),
]
