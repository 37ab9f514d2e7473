from django.urls import path

from workbench import dashboard_views, home_views, report_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    *report_views.urlpatterns,
]
