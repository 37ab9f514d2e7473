"""(placeholder routes until this group's views are written; the owner replaces this file)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)


urlpatterns = [
    path("orgs/<int:org_pk>/lists/<int:year>/", _pending, name="list_for_org"),
    path("lists/<int:pk>/", _pending, name="list_detail"),
    path("lists/<int:pk>/items/add/", _pending, name="list_item_add"),
    path("items/<int:pk>/edit/", _pending, name="list_item_edit"),
    path("items/<int:pk>/remove/", _pending, name="list_item_remove"),
    path("lists/review/", _pending, name="list_review_queue"),
    path("lists/<int:pk>/versions/<int:number>/", _pending, name="list_version"),
    path("lists/<int:pk>/<str:action>/", _pending, name="list_action"),
    path("plans/", _pending, name="work_plans"),
    path("plans/<int:pk>/", _pending, name="work_plan_detail"),
    path("plans/<int:pk>/coverage/", _pending, name="work_plan_coverage"),
    path("templates/", _pending, name="list_templates"),
    path("templates/<int:pk>/", _pending, name="list_template_detail"),
]
