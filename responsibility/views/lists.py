"""责任清单, 年度工作要点, 清单模板 and the coverage of work points: who may see and change them.

Every object is fetched through responsibility.access: outside the user's sight 404,
seen but not allowed 403. Every change is one service call; a refused one shows the
service's message and saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Organization, User
from accounts.permissions import Action
from foundation.errors import DomainError
from responsibility import access, selectors, services
from responsibility.forms import (
    ListActionForm,
    ListItemForm,
    ListStartForm,
    ListTemplateForm,
    TemplateItemForm,
    WorkPlanForm,
    WorkPointForm,
)
from responsibility.models import ListItem, ResponsibilityList

PER_PAGE = 50


def _user(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind login_required)."""
    return cast(User, request.user)


# 责任清单 --------------------------------------------------------------------


@login_required
def list_for_org(request: HttpRequest, org_pk: int, year: int) -> HttpResponse:
    """The organization's list of the year; if there is none, those who keep it may start one."""
    organization = access.organization_for(request.user, org_pk, Action.VIEW)
    existing = ResponsibilityList.objects.filter(organization=organization, year=year).values_list("pk", flat=True)
    if existing:
        return redirect("list_detail", existing[0])
    if request.method == "POST":
        access.require_keeps(request.user, organization)
    may_manage = access.keeps(request.user, organization)
    form = None
    if may_manage:
        templates = selectors.templates_to_start_from(organization)
        form = ListStartForm(request.POST or None, templates=templates)
        if request.method == "POST" and form.is_valid():
            try:
                started = services.list_start(
                    organization=organization, year=year, by=_user(request), template=form.cleaned_data["template"]
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("%(year)s 年度责任清单已建立，请逐条完善后提交审核。") % {"year": year})
                return redirect("list_detail", started.pk)
    return render(
        request,
        "responsibility/lists/list_start.html",
        {"organization": organization, "year": year, "form": form, "years": (year - 1, year + 1)},
    )


@login_required
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The list with its items by duty type, and what the user may do with it now."""
    return _list_page(request, access.list_for(request.user, pk, Action.VIEW))


def _list_page(
    request: HttpRequest,
    responsibility_list: ResponsibilityList,
    refused: str = "",
    typed_comment: str = "",
    review_error: str = "",
) -> HttpResponse:
    """The list page; after a refused step it says why (a review's error beside its comment field) and keeps
    the comment the person typed."""
    organization = responsibility_list.organization
    groups = selectors.list_item_groups(responsibility_list)
    versions = list(selectors.list_versions_of(responsibility_list))
    return render(
        request,
        "responsibility/lists/list_detail.html",
        {
            "list": responsibility_list,
            "organization": organization,
            "groups": groups,
            "versions": versions,
            # What a revision changes against the approved version, item by item, for whoever approves it.
            "revision": selectors.list_revision(responsibility_list, groups, versions),
            # The workflow's steps this person may take now, from the transition table (submit, approve, …),
            # and may_manage, may_edit, may_record for the items.
            "actions": access.allowed_actions(request.user, responsibility_list),
            **access.list_rights(request.user, responsibility_list),
            # Every step's form carries the version of the list as shown here.
            "list_version": services.list_fingerprint(responsibility_list),
            "refused": refused,
            "typed_comment": typed_comment,
            "review_error": review_error,
            "reviewer": access.supervises(request.user, organization),
        },
    )


def _item_form_page(
    request: HttpRequest, responsibility_list: ResponsibilityList, form: ListItemForm, item: ListItem | None
) -> HttpResponse:
    return render(
        request,
        "responsibility/lists/item_form.html",
        {"list": responsibility_list, "organization": responsibility_list.organization, "form": form, "item": item},
    )


def _item_form(request: HttpRequest, responsibility_list: ResponsibilityList, **kwargs: Any) -> ListItemForm:
    organization = responsibility_list.organization
    return ListItemForm(
        request.POST or None,
        work_points=selectors.work_points_for_list(organization, responsibility_list.year),
        positions=selectors.responsible_choices(organization),
        **kwargs,
    )


@login_required
def list_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    responsibility_list = access.list_for(request.user, pk, Action.MANAGE)
    form = _item_form(request, responsibility_list)
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "version"}
        try:
            services.list_item_add(responsibility_list=responsibility_list, by=_user(request), **data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已添加清单条目。"))
            return redirect("list_detail", responsibility_list.pk)
    return _item_form_page(request, responsibility_list, form, None)


@login_required
def list_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.item_for(request.user, pk, Action.MANAGE)
    responsibility_list = item.list
    initial = {
        "category": item.category_id,
        "duty_type": item.duty_type,
        "content": item.content,
        "target_period": item.target_period,
        "target_count": item.target_count,
        "due_date": item.due_date,
        "work_point": item.work_point_id,
        "responsible": item.responsible_id,
        "version": services.item_fingerprint(item),
    }
    form = _item_form(request, responsibility_list, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("version") or None
        try:
            services.list_item_update(item=item, by=_user(request), expected=expected, **data)
        except DomainError as error:
            form.add_error(None, str(error))
            # Nothing was saved and the typed values stay; the form now carries the current version,
            # so once the person has merged the other change a second save goes through.
            item.refresh_from_db()
            typed = request.POST.copy()
            typed["version"] = services.item_fingerprint(item)
            form.data = typed
        else:
            messages.success(request, _("已保存清单条目。"))
            return redirect("list_detail", responsibility_list.pk)
    return _item_form_page(request, responsibility_list, form, item)


@login_required
@require_POST
def list_item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.item_for(request.user, pk, Action.MANAGE)
    try:
        services.list_item_remove(item=item, by=_user(request))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已删除清单条目。"))
    return redirect("list_detail", item.list_id)


ListStep = Callable[[ResponsibilityList, Any, str, str | None], ResponsibilityList]

# What each step does and what the person is told afterwards; who may take it is access.LIST_STEPS.
LIST_ACTIONS: dict[str, tuple[ListStep, Any]] = {
    "submit": (
        lambda lst, by, comment, expected: services.list_submit(responsibility_list=lst, by=by, expected=expected),
        gettext_lazy("清单已提交上级党组织审核。"),
    ),
    "approve": (
        lambda lst, by, comment, expected: services.list_approve(
            responsibility_list=lst, by=by, comment=comment, expected=expected
        ),
        gettext_lazy("清单已审定并锁定。"),
    ),
    "return": (
        lambda lst, by, comment, expected: services.list_return(
            responsibility_list=lst, by=by, comment=comment, expected=expected
        ),
        gettext_lazy("清单已退回，审核意见已告知该组织。"),
    ),
    "revise": (
        lambda lst, by, comment, expected: services.list_revise(responsibility_list=lst, by=by, expected=expected),
        gettext_lazy("已发起修订：修改后请重新提交审核，已审定的版本仍可查阅。"),
    ),
    "close": (
        lambda lst, by, comment, expected: services.list_close(responsibility_list=lst, by=by, expected=expected),
        gettext_lazy("该年度清单已关闭，不能再修改或记实。"),
    ),
}


@login_required
@require_POST
def list_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Submit, approve, return, revise or close: one step of the list's workflow."""
    responsibility_list = access.list_for_step(request.user, pk, action)
    step, done = LIST_ACTIONS[action]
    form = ListActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("审核意见不能超过 2000 个字。"))
        return redirect("list_detail", responsibility_list.pk)
    try:
        step(responsibility_list, _user(request), form.cleaned_data["comment"], form.cleaned_data["version"] or None)
    except services.ListChanged as error:
        # Nothing was done; the page shows the list as it is now, with the comment as typed to merge.
        responsibility_list.refresh_from_db()
        return _list_page(request, responsibility_list, refused=str(error), typed_comment=form.cleaned_data["comment"])
    except DomainError as error:
        responsibility_list.refresh_from_db()
        if action in ("approve", "return") and "approve" in access.allowed_actions(request.user, responsibility_list):
            # Still to decide (a return without a comment, say): the page again at the review, nothing changed.
            return _list_page(
                request, responsibility_list, review_error=str(error), typed_comment=form.cleaned_data["comment"]
            )
        messages.error(request, str(error))
    else:
        messages.success(request, str(done))
    return redirect("list_detail", responsibility_list.pk)


@login_required
def list_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """An approved version as it was frozen, read-only."""
    responsibility_list = access.list_for(request.user, pk, Action.VIEW)
    version = get_object_or_404(responsibility_list.versions.select_related("approved_by"), number=number)
    return render(
        request,
        "responsibility/lists/list_version.html",
        {
            "list": responsibility_list,
            "organization": responsibility_list.organization,
            "version": version,
            "changes": selectors.version_changes(version),
        },
    )


@login_required
def list_review_queue(request: HttpRequest) -> HttpResponse:
    """清单审核: submitted lists below the user, oldest first."""
    page = Paginator(access.lists_to_review(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "responsibility/lists/review_queue.html", {"page": page})


# 年度工作要点 ---------------------------------------------------------------


@login_required
def work_plans(request: HttpRequest) -> HttpResponse:
    """年度工作要点: plans that reach the user, drafts of the user's committees, and a form to start one."""
    committees = access.managed_committees(request.user)
    form = WorkPlanForm(request.POST or None, committees=committees)
    if request.method == "POST" and form.is_valid():
        organization = form.cleaned_data["organization"]
        access.require_keeps(request.user, organization)
        try:
            plan = services.work_plan_create(
                organization=organization,
                year=form.cleaned_data["year"],
                title=form.cleaned_data["title"],
                by=_user(request),
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已建立年度工作要点，请添加要点条目后发布。"))
            return redirect("work_plan_detail", plan.pk)
    plans = selectors.work_plans_for(request.user)
    page = Paginator(plans.filter(published_at__isnull=False), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "responsibility/lists/work_plans.html",
        {
            "drafts": list(plans.filter(published_at__isnull=True)),
            "page": page,
            "form": form,
            "may_create": committees.exists(),
        },
    )


@login_required
def work_plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's points by category; its committee adds, removes and publishes them."""
    plan = access.plan_for(request.user, pk, Action.MANAGE if request.method == "POST" else Action.VIEW)
    may_manage = access.keeps(request.user, plan.organization)
    form = WorkPointForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "add_point":
            form = WorkPointForm(request.POST)
            if form.is_valid():
                try:
                    services.work_point_add(plan=plan, by=_user(request), **form.cleaned_data)
                except DomainError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("已添加工作要点。"))
                    return redirect("work_plan_detail", plan.pk)
        elif action in ("remove_point", "publish"):
            try:
                if action == "remove_point":
                    point = get_object_or_404(plan.points, pk=_posted_pk(request, "point"))
                    services.work_point_remove(point=point, by=_user(request))
                    messages.success(request, _("已删除工作要点。"))
                else:
                    services.work_plan_publish(plan=plan, by=_user(request))
                    messages.success(request, _("已发布，下级党组织在编制清单时可以落实这些要点。"))
            except DomainError as error:
                messages.error(request, str(error))
            return redirect("work_plan_detail", plan.pk)
        else:
            raise Http404
    return render(
        request,
        "responsibility/lists/work_plan_detail.html",
        {
            "plan": plan,
            "points": selectors.work_points_of(plan),
            "form": form,
            "may_manage": may_manage,
            "may_follow": access.may_follow_plan(request.user, plan),
        },
    )


def _posted_pk(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "")
    if not value.isdigit():
        raise Http404
    return int(value)


@login_required
def work_plan_coverage(request: HttpRequest, pk: int) -> HttpResponse:
    """Which organizations below have not broken which points down into their own list, child by child."""
    plan = access.plan_to_follow(request.user, pk)
    under = plan.organization
    under_pk = request.GET.get("under", "")
    if under_pk:
        if not under_pk.isdigit():
            raise Http404
        under = get_object_or_404(Organization, pk=int(under_pk), path__startswith=plan.organization.path)
    points = selectors.work_points_of(plan)
    page = Paginator(selectors.active_children_of(under), PER_PAGE).get_page(request.GET.get("page"))
    published = plan.is_published
    rows = selectors.plan_coverage(plan, under, list(page.object_list), points) if published else []
    return render(
        request,
        "responsibility/lists/work_plan_coverage.html",
        {
            "plan": plan,
            "under": under,
            "trail": list(selectors.coverage_trail(plan, under)) if under != plan.organization else [],
            "points": points,
            "rows": rows,
            "page": page,
            "missing_here": selectors.points_missing_in(plan, under, points)
            if published and under != plan.organization
            else None,
        },
    )


# 清单模板 --------------------------------------------------------------------


@login_required
def list_templates(request: HttpRequest) -> HttpResponse:
    """清单模板: the user's committees' templates and the published ones from above."""
    committees = access.managed_committees(request.user)
    form = ListTemplateForm(request.POST or None, committees=committees)
    if request.method == "POST" and form.is_valid():
        organization = form.cleaned_data["organization"]
        access.require_keeps(request.user, organization)
        try:
            template = services.template_create(
                organization=organization,
                name=form.cleaned_data["name"],
                sector=form.cleaned_data["sector"],
                by=_user(request),
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已建立清单模板，请添加条目后发布。"))
            return redirect("list_template_detail", template.pk)
    page = Paginator(selectors.list_templates_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "responsibility/lists/templates.html",
        {"page": page, "form": form, "may_create": committees.exists()},
    )


@login_required
def list_template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A template's items; its committee adds items and publishes it."""
    template = access.template_for(request.user, pk, Action.MANAGE if request.method == "POST" else Action.VIEW)
    may_manage = access.keeps(request.user, template.organization)
    form = TemplateItemForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "add_item":
            form = TemplateItemForm(request.POST)
            if form.is_valid():
                try:
                    services.template_item_add(template=template, by=_user(request), **form.cleaned_data)
                except DomainError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("已添加模板条目。"))
                    return redirect("list_template_detail", template.pk)
        elif action == "publish":
            try:
                services.template_publish(template=template, by=_user(request))
            except DomainError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("模板已发布，下级党组织建立清单时可以选用。"))
            return redirect("list_template_detail", template.pk)
        else:
            raise Http404
    return render(
        request,
        "responsibility/lists/template_detail.html",
        {
            "template": template,
            "items": list(template.items.select_related("category")),
            "form": form,
            "may_manage": may_manage,
        },
    )


urlpatterns = [
    path("orgs/<int:org_pk>/lists/<int:year>/", list_for_org, name="list_for_org"),
    path("lists/<int:pk>/", list_detail, name="list_detail"),
    path("lists/<int:pk>/items/add/", list_item_add, name="list_item_add"),
    path("items/<int:pk>/edit/", list_item_edit, name="list_item_edit"),
    path("items/<int:pk>/remove/", list_item_remove, name="list_item_remove"),
    path("lists/review/", list_review_queue, name="list_review_queue"),
    path("lists/<int:pk>/versions/<int:number>/", list_version, name="list_version"),
    path("lists/<int:pk>/<str:action>/", list_action, name="list_action"),
    path("plans/", work_plans, name="work_plans"),
    path("plans/<int:pk>/", work_plan_detail, name="work_plan_detail"),
    path("plans/<int:pk>/coverage/", work_plan_coverage, name="work_plan_coverage"),
    path("templates/", list_templates, name="list_templates"),
    path("templates/<int:pk>/", list_template_detail, name="list_template_detail"),
]
