"""(placeholder routes until this group's views are written; the owner replaces this file)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


urlpatterns = [
    path("duties/", _pending, name="my_list"),
    path("items/<int:pk>/", _pending, name="item_detail"),
    path("items/<int:pk>/records/add/", _pending, name="record_add"),
    path("records/<int:pk>/", _pending, name="record_detail"),
    path("records/<int:pk>/edit/", _pending, name="record_edit"),
    path("records/<int:pk>/review/", _pending, name="record_review"),
    path("records/review/", _pending, name="record_review_queue"),
    path("evidence/<int:pk>/", _pending, name="evidence_download"),
]
