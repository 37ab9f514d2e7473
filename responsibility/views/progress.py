"""(placeholder routes until this group's views are written; the owner replaces this file)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


urlpatterns = [
    path("progress/", _pending, name="progress_overview"),
    path("progress/export.xlsx", _pending, name="progress_export"),
    path("lists/<int:pk>/export.xlsx", _pending, name="list_export"),
    path("orgs/<int:org_pk>/commitment/<int:year>/", _pending, name="commitment_edit"),
    path("public/", _pending, name="public_commitments"),
    path("public/<str:code>/<int:year>/", _pending, name="public_commitment"),
    path("contact-points/", _pending, name="contact_points"),
    path("contact-points/<int:pk>/", _pending, name="contact_point_detail"),
]
