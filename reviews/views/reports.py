"""(placeholder routes until this group's views are written; the owner replaces this file)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


urlpatterns = [
    path("reviews/mine/", _pending, name="my_reports"),
    path("reviews/reports/<int:pk>/", _pending, name="report_detail"),
    path("reviews/reports/<int:pk>/edit/", _pending, name="report_edit"),
    path("reviews/reports/<int:pk>/autosave/", _pending, name="report_autosave"),
    path("reviews/reports/<int:pk>/self-assessment/", _pending, name="report_self_assessment"),
    path("reviews/reports/<int:pk>/submit/", _pending, name="report_submit"),
    path("reviews/reports/<int:pk>/versions/<int:number>/", _pending, name="report_version"),
    path("reviews/reports/<int:pk>/result/", _pending, name="report_result"),
]
