from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("responsibility.urls")),
    path("", include("reviews.urls")),
    path("", include("rectification.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", account_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
