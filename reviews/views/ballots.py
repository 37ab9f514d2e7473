"""(placeholder routes until this group's views are written; the owner replaces this file)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


urlpatterns = [
    path("reviews/cycles/<int:pk>/ballots/", _pending, name="ballot_codes"),
    path("reviews/cycles/<int:pk>/ballots/<int:org_pk>/<int:batch>/sheet/", _pending, name="ballot_sheet"),
    path("vote/", _pending, name="vote"),
    path("vote/done/", _pending, name="vote_done"),
    path("vote/<str:code>/", _pending, name="vote_with_code"),
]
