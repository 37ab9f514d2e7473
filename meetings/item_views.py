"""一次录入，多处使用 on the list item: the form that sets which kind of meeting an item counts.

The item and list pages (responsibility's) show the link through the meetings template tags and post here;
the item comes from meetings.access, built on responsibility's rule of who may record on it.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Action
from foundation.errors import DomainError
from meetings import access, counting
from meetings.item_forms import ItemLinkForm


@login_required
@require_POST
def item_meeting_link(request: HttpRequest, pk: int) -> HttpResponse:
    """按规则, a kind by hand, or 不计入会议: the item's meeting records follow at once."""
    user = cast(User, request.user)
    item = access.item_for(user, pk, Action.MANAGE)
    next_url = request.POST.get("next", "")
    # Only a path of this site: anything else (another host, or a word redirect() would take for a URL
    # name) goes back to the item.
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        next_url = reverse("item_detail", args=[item.pk])
    form = ItemLinkForm(request.POST, item=item)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect(next_url)
    try:
        if form.by_rule:
            count = counting.item_link_reset(item=item, by=user)
        else:
            count = counting.item_link_set(item=item, kind=form.chosen_kind, by=user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(next_url)
    messages.success(request, _("已更新条目计入的会议，现有 %(count)s 条由会议自动生成的记实。") % {"count": count})
    return redirect(next_url)


urlpatterns = [
    path("items/<int:pk>/meeting-link/", item_meeting_link, name="item_meeting_link"),
]
