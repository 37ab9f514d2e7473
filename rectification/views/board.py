"""(placeholder routes until this group's views are written; the owner replaces this file)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


urlpatterns = [
    path("rectification/", _pending, name="rectification_board"),
    path("rectification/findings/", _pending, name="findings"),
    path("rectification/findings/new/", _pending, name="finding_new"),
    path("rectification/from-review/<int:report_pk>/", _pending, name="findings_from_review"),
    path("rectification/tasks/new/", _pending, name="task_new"),
    path("rectification/ledger.xlsx", _pending, name="ledger_export"),
    path("rectification/disclosure/<int:org_pk>/<int:year>/", _pending, name="disclosure"),
    path("public/rectification/<str:code>/<int:year>/", _pending, name="public_rectification"),
]
