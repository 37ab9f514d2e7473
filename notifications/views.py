"""The notification centre: 我的消息, opening one, marking all read, and the person's channel settings."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts.models import User
from foundation.errors import DomainError
from notifications import access
from notifications import selectors as notification_selectors
from notifications import services as notification_services
from notifications.forms import PreferenceForm, WebhookForm

NOTIFICATIONS_PER_PAGE = 20


def _user(request: HttpRequest) -> User:
    # Every view here requires sign-in, so the user is a real account.
    return cast(User, request.user)


def language_switch(request: HttpRequest) -> HttpResponse:
    """The header's language switch: Django's set_language for the pages, and for a signed-in person also the
    language their mail and group robots speak (User.language), so it follows their last choice."""
    response = set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and check_for_language(language):
        User.objects.filter(pk=user.pk).exclude(language=language).update(language=language)
    return response


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """我的消息: the person's own notifications, unread first."""
    user = _user(request)
    page = Paginator(notification_selectors.notifications_for(user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/notification_list.html", {"page": page, "items": page.object_list})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Marks the person's own notification read and goes to what it is about; anyone else's is 404."""
    user = _user(request)
    notification = access.notification_for(user, pk)
    notification_services.notification_read(notification=notification)
    safe = url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(notification.url if notification.url and safe else "notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_services.notifications_read_all(person=_user(request))
    if count:
        messages.success(request, _("已将 %(count)s 条消息标为已读。") % {"count": count})
    return redirect("notifications")


def _robot_form(organization_pk: int, data: QueryDict | None = None) -> WebhookForm:
    # One add form per organization on the page: the ids must differ.
    return WebhookForm(data, auto_id=f"robot-{organization_pk}-%s")


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    """提醒设置: channels, the calendar feed's secret address, and the group robots of the organizations one keeps."""
    user = _user(request)
    preference = notification_selectors.preference_for(user)
    if preference.calendar_token and not preference.calendar_address_is_current():
        # The password changed since the address was issued: the old one is void; its owner gets a new one here.
        preference.calendar_token = notification_services.calendar_token_regenerate(person=user)
        messages.info(request, _("您的密码已更改，原日历订阅地址已失效，下面是新地址，请在手机上重新订阅。"))
    preference_form = PreferenceForm(initial={"by_email": preference.by_email, "by_webhook": preference.by_webhook})
    failed_robot: tuple[int, WebhookForm] | None = None

    if request.method == "POST":
        action = request.POST.get("action")
        if action == "preferences":
            preference_form = PreferenceForm(request.POST)
            if preference_form.is_valid():
                notification_services.preference_update(person=user, **preference_form.cleaned_data)
                messages.success(request, _("提醒设置已保存。"))
                return redirect("notification_settings")
        elif action == "calendar":
            notification_services.calendar_token_regenerate(person=user)
            messages.success(request, _("已生成新的日历订阅地址，原地址已失效。"))
            return redirect("notification_settings")
        elif action == "robot_add":
            organization = access.robot_organization_for(user, request.POST.get("organization"))
            robot_form = _robot_form(organization.pk, request.POST)
            if robot_form.is_valid():
                try:
                    notification_services.webhook_add(organization=organization, by=user, **robot_form.cleaned_data)
                except DomainError as error:
                    robot_form.add_error("url", str(error))
                else:
                    messages.success(request, _("已为%(organization)s添加群机器人。") % {"organization": organization})
                    return redirect("notification_settings")
            failed_robot = (organization.pk, robot_form)
        elif action == "robot_remove":
            webhook = access.webhook_for(user, request.POST.get("webhook"))
            notification_services.webhook_remove(webhook=webhook, by=user)
            messages.success(request, _("已删除%(organization)s的群机器人。") % {"organization": webhook.organization})
            return redirect("notification_settings")
        else:
            return redirect("notification_settings")

    failed_pk, failed_form = failed_robot or (None, None)
    organizations = [
        (organization, failed_form if organization.pk == failed_pk else _robot_form(organization.pk))
        for organization in access.robot_organizations(user)
    ]
    return render(
        request,
        "notifications/notification_settings.html",
        {
            "preference_form": preference_form,
            "token": preference.calendar_token,
            "organizations": organizations,
        },
    )
