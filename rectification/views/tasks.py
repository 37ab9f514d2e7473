"""(placeholder routes until this group's views are written; the owner replaces this file)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


urlpatterns = [
    path("rectification/mine/", _pending, name="my_tasks"),
    path("rectification/tasks/<int:pk>/", _pending, name="task_detail"),
    path("rectification/tasks/<int:pk>/do/<str:action>/", _pending, name="task_action"),
    path("rectification/evidence/<int:pk>/", _pending, name="task_evidence"),
    path("rectification/extensions/<int:pk>/decide/", _pending, name="extension_decide"),
]
