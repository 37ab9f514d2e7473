"""(placeholder routes until this group's views are written; the owner replaces this file)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


urlpatterns = [
    path("rectification/inspections/", _pending, name="inspections"),
    path("rectification/inspections/new/", _pending, name="inspection_new"),
    path("rectification/inspections/<int:pk>/", _pending, name="inspection_detail"),
    path("rectification/inspections/targets/<int:pk>/", _pending, name="inspection_target"),
]
