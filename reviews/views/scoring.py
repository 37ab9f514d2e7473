"""(placeholder routes until this group's views are written; the owner replaces this file)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


urlpatterns = [
    path("reviews/queue/", _pending, name="review_queue"),
    path("reviews/assignments/<int:pk>/score/", _pending, name="report_score"),
    path("reviews/reports/<int:pk>/assess/", _pending, name="report_assess"),
    path("reviews/reports/<int:pk>/return/", _pending, name="report_return"),
    path("reviews/problems/<int:pk>/remove/", _pending, name="problem_remove"),
]
