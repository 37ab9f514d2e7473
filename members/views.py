"""党员名册 pages: the rolls a person reaches, a branch's roll, a member's page and its forms, party groups,
the import and export, and the committee's figures over its subtree. Every object comes from members.access."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.importing import ImportRejected
from accounts.models import User
from accounts.permissions import Action
from foundation.errors import DomainError
from foundation.excel import XLSX_CONTENT_TYPE
from members import access, selectors, services
from members.forms import (
    GroupForm,
    ImportForm,
    LoginForm,
    MemberAddForm,
    MemberForm,
    RollFilterForm,
    StatusForm,
    TransferForm,
)


def _user(request: HttpRequest) -> User:
    # Every view here requires sign-in, so the user is a real account.
    return cast(User, request.user)


@login_required
def rolls(request: HttpRequest) -> HttpResponse:
    """党员名册: the rolls the person keeps, their own entry, and the committee's figures."""
    user = _user(request)
    kept = list(access.kept_rolls(user))
    own = list(access.own_entries(user))
    if len(kept) == 1 and not access.reaches_a_roll_above(user):
        return redirect("member_roll", kept[0].pk)
    return render(
        request,
        "members/rolls.html",
        {"kept": kept, "own": own, "is_committee": access.reaches_a_roll_above(user)},
    )


@login_required
def roll(request: HttpRequest, org_pk: int) -> HttpResponse:
    """A roll: its counts at the top and its members, filtered by status, category and party group."""
    user = _user(request)
    organization = access.roll_organization_for(user, org_pk, Action.VIEW)
    form = RollFilterForm(request.GET or None, organization=organization)
    members = list(selectors.roll_members(organization, form.values() if request.GET else {}))
    return render(
        request,
        "members/roll.html",
        {
            "organization": organization,
            "form": form,
            "members": members,
            "counts": selectors.roll_counts(organization, timezone.localdate()),
            "keeps": access.keeps_roll(user, organization),
            "today": timezone.localdate(),
        },
    )


@login_required
def member_add(request: HttpRequest, org_pk: int) -> HttpResponse:
    user = _user(request)
    organization = access.roll_organization_for(user, org_pk, Action.MANAGE)
    form = MemberAddForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            source = form.cleaned_data["transferred_from"]
            if source:
                member = services.member_transfer_in(
                    organization=organization,
                    by=user,
                    on=form.cleaned_data["transferred_on"],
                    from_text=source,
                    fields=form.member_fields(),
                )
            else:
                member = services.member_add(organization=organization, by=user, fields=form.member_fields())
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("已添加党员。"))
            return redirect("member_detail", member.pk)
    return render(request, "members/member_form.html", {"organization": organization, "form": form})


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's page: their data, status history and transfers."""
    user = _user(request)
    member = access.member_for(user, pk, Action.VIEW)
    changes, transfers = selectors.member_history(member)
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "changes": changes,
            "transfers": transfers,
            "shows_id_number": access.shows_id_number(user, member),
            "keeps": access.keeps_roll(user, member.organization) and member.is_current,
            "reads_roll": access.reads_roll(user, member.organization),
            "login_form": LoginForm(),
        },
    )


@login_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    member = access.member_for(user, pk, Action.MANAGE)
    form = MemberForm(request.POST or None, organization=member.organization, initial=MemberForm.initial_of(member))
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(member=member, by=user, fields=form.member_fields())
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("已保存。"))
            return redirect("member_detail", member.pk)
    return render(
        request, "members/member_form.html", {"organization": member.organization, "form": form, "member": member}
    )


def _member_action(
    request: HttpRequest, pk: int, form_class: type[Any], template: str, act: Any, done: str
) -> HttpResponse:
    user = _user(request)
    member = access.member_for(user, pk, Action.MANAGE)
    form = form_class(request.POST or None, initial={"on": timezone.localdate(), "status": member.status})
    if request.method == "POST" and form.is_valid():
        try:
            act(user, member, form)
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, done)
            return (
                redirect("member_detail", member.pk)
                if access.may_read_member(user, member.pk)
                else redirect("member_roll", member.organization_id)
            )
    return render(request, template, {"member": member, "form": form})


@login_required
def member_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Changes a member's status (正常, 流动党员 with where and how to reach them, 出国(境), 失联, 停止党籍)."""

    def act(user: User, member: Any, form: StatusForm) -> None:
        data = form.cleaned_data
        services.member_status_change(
            member=member, by=user, status=data["status"], on=data["on"], note=data["note"], migrant=form.migrant()
        )

    return _member_action(request, pk, StatusForm, "members/status_form.html", act, _("状态已变更。"))


@login_required
def member_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """组织关系转出: to an organization in the product by its code, or outside by name."""

    def act(user: User, member: Any, form: TransferForm) -> None:
        data = form.cleaned_data
        services.member_transfer_out(
            member=member, by=user, on=data["on"], to_code=data["to_code"], to_text=data["to_text"], note=data["note"]
        )

    return _member_action(request, pk, TransferForm, "members/transfer_form.html", act, _("组织关系已转出。"))


@login_required
@require_POST
def member_login(request: HttpRequest, pk: int) -> HttpResponse:
    """Creates a login for a member who has none."""
    user = _user(request)
    member = access.member_for(user, pk, Action.MANAGE)
    form = LoginForm(request.POST)
    if form.is_valid():
        try:
            services.member_login_create(member=member, by=user, username=form.cleaned_data["username"])
        except DomainError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("已创建登录账号，请管理员设置初始密码。"))
    else:
        messages.error(request, _("请填写%(field)s。") % {"field": _("登录名")})
    return redirect("member_detail", member.pk)


@login_required
def groups(request: HttpRequest, org_pk: int) -> HttpResponse:
    """The organization's party groups, and adding one."""
    user = _user(request)
    organization = access.roll_organization_for(user, org_pk, Action.VIEW)
    keeps = access.keeps_roll(user, organization)
    form = GroupForm(request.POST or None, organization=organization)
    if request.method == "POST":
        organization = access.roll_organization_for(user, org_pk, Action.MANAGE)
        if form.is_valid():
            try:
                services.group_add(
                    organization=organization,
                    by=user,
                    name=form.cleaned_data["name"],
                    leader=form.cleaned_data["leader"],
                    order=form.cleaned_data["order"] or 0,
                )
            except DomainError as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("已添加党小组。"))
                return redirect("member_groups", organization.pk)
    return render(
        request,
        "members/groups.html",
        {"organization": organization, "groups": selectors.groups_of(organization), "form": form, "keeps": keeps},
    )


@login_required
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    group = access.group_for(user, pk, Action.MANAGE)
    initial = {"name": group.name, "leader": group.leader, "order": group.order}
    form = GroupForm(request.POST or None, organization=group.organization, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.group_update(
                group=group,
                by=user,
                name=form.cleaned_data["name"],
                leader=form.cleaned_data["leader"],
                order=form.cleaned_data["order"] or 0,
            )
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("已保存。"))
            return redirect("member_groups", group.organization_id)
    return render(request, "members/group_form.html", {"group": group, "form": form})


@login_required
def roll_import(request: HttpRequest, org_pk: int) -> HttpResponse:
    """Imports members from the branch's Excel roll: every bad row listed, nothing added unless all are good."""
    user = _user(request)
    organization = access.roll_organization_for(user, org_pk, Action.MANAGE)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[Any] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            added = services.roll_import(
                organization=organization, by=user, filename=upload.name, content=upload.read()
            )
        except ImportRejected as rejected:
            form.add_error(None, str(rejected))
            errors = rejected.errors
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("已导入 %(n)d 名党员。") % {"n": added})
            return redirect("member_roll", organization.pk)
    return render(request, "members/import.html", {"organization": organization, "form": form, "errors": errors})


@login_required
@require_POST
def roll_export(request: HttpRequest, org_pk: int) -> FileResponse:
    """The roll as Excel; the export of personal data goes into the audit trail (a POST: it writes that row)."""
    user = _user(request)
    organization = access.roll_organization_for(user, org_pk, Action.VIEW)
    output = services.roll_export(organization=organization, by=user)
    filename = _("党员名册") + f"-{organization.code}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


@login_required
def roll_figures(request: HttpRequest) -> HttpResponse:
    """The committee's roll figures over its subtree, by child organization, with drill-down."""
    user = _user(request)
    chosen = None
    if request.GET.get("org"):
        chosen = access.figures_organization_for(user, request.GET["org"])
        roots = [chosen]
    else:
        access.committee_only(user)
        roots = access.figures_roots(user)
    total, rows = selectors.roll_figures(roots, timezone.localdate())
    return render(
        request,
        "members/figures.html",
        {"chosen": chosen, "roots": roots, "total": total, "rows": rows},
    )


urlpatterns = [
    path("members/", rolls, name="member_rolls"),
    path("members/figures/", roll_figures, name="member_figures"),
    path("members/roll/<int:org_pk>/", roll, name="member_roll"),
    path("members/roll/<int:org_pk>/add/", member_add, name="member_add"),
    path("members/roll/<int:org_pk>/groups/", groups, name="member_groups"),
    path("members/roll/<int:org_pk>/import/", roll_import, name="member_import"),
    path("members/roll/<int:org_pk>/export/", roll_export, name="member_export"),
    path("members/<int:pk>/", member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", member_edit, name="member_edit"),
    path("members/<int:pk>/status/", member_status, name="member_status"),
    path("members/<int:pk>/transfer/", member_transfer, name="member_transfer"),
    path("members/<int:pk>/login/", member_login, name="member_login"),
    path("members/groups/<int:pk>/edit/", group_edit, name="member_group_edit"),
]
