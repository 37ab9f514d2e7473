"""(placeholder routes until this group's views are written; the owner replaces this file)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


urlpatterns = [
    path("reviews/", _pending, name="cycles"),
    path("reviews/new/", _pending, name="cycle_create"),
    path("reviews/cycles/<int:pk>/", _pending, name="cycle_detail"),
    path("reviews/cycles/<int:pk>/settings/", _pending, name="cycle_settings"),
    path("reviews/cycles/<int:pk>/indicators/", _pending, name="cycle_indicators"),
    path("reviews/cycles/<int:pk>/do/<str:action>/", _pending, name="cycle_action"),
    path("reviews/cycles/<int:pk>/reviewers/", _pending, name="cycle_reviewers"),
    path("reviews/cycles/<int:pk>/ranking/", _pending, name="cycle_ranking"),
    path("reviews/cycles/<int:pk>/export.xlsx", _pending, name="cycle_export"),
    path("reviews/rubrics/", _pending, name="rubric_templates"),
    path("reviews/rubrics/<int:pk>/", _pending, name="rubric_template_detail"),
]
