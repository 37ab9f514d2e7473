"""组织生活 pages: a branch's year of meetings, planning a meeting, its page with the sign-in sheet, the host's
screen with the code that changes every minute, a member's sign-in from their phone, closing with the
minutes, evidence, and the committee's frequency rules. Every object comes from meetings.access."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Action
from accounts.two_factor import qr_code_data_uri
from foundation.errors import DomainError
from foundation.files import attached_file_response
from foundation.years import chosen_year
from meetings import access, progress, selectors, services
from meetings.forms import CancelForm, CodeForm, FilesForm, KindForm, MarkForm, MeetingForm, MinutesForm, RuleForm
from meetings.models import Attendance, Meeting, MeetingKind


def _user(request: HttpRequest) -> User:
    # Every view here requires sign-in, so the user is a real account.
    return cast(User, request.user)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """组织生活: the organizations whose meetings the person keeps, the meetings waiting for their sign-in."""
    user = _user(request)
    kept = access.kept_organizations(user)
    awaiting = selectors.home_life(user, []).awaiting
    if len(kept) == 1 and not awaiting and not access.reaches_life_above(user):
        return redirect("meeting_year", kept[0].pk, chosen_year())
    return render(
        request,
        "meetings/home.html",
        {
            "kept": kept,
            "awaiting": awaiting,
            "follows": access.reaches_life_above(user),
            "rule_organizations": access.rule_organizations(user),
            "year": chosen_year(),
        },
    )


@login_required
def year_page(request: HttpRequest, org_pk: int, year: int) -> HttpResponse:
    """A year of an organization's organizational life: each kind due, done, late and missed with its light,
    the meetings, the permanent late marks, and each member's attendance."""
    user = _user(request)
    organization = access.life_organization_for(user, org_pk, Action.VIEW)
    if not 2000 <= year <= 2100:
        raise Http404
    life = selectors.fresh_year(organization, year)
    attendance = selectors.member_attendance(organization, year)
    return render(
        request,
        "meetings/year.html",
        {
            "organization": organization,
            "year": year,
            "life": life,
            "summary": selectors.summary(life),
            "kind_years": list(selectors.kind_years(organization, year)),
            "meetings": list(selectors.meetings_of(organization, year)),
            "marks": list(selectors.late_marks(organization, year)),
            "attendance": attendance,
            "unseen": [row for row in attendance if row.unseen],
            "keeps": access.keeps_meetings(user, organization),
            "years": selectors.year_choices(),
        },
    )


@login_required
def organization_life(request: HttpRequest, org_pk: int) -> HttpResponse:
    """An organization's organizational life this year (the address reminders link to)."""
    organization = access.life_organization_for(_user(request), org_pk, Action.VIEW)
    return redirect("meeting_year", organization.pk, chosen_year())


@login_required
def plan(request: HttpRequest, org_pk: int) -> HttpResponse:
    """计划会议: the people expected follow from the kind (all members, the branch committee, a party group)."""
    user = _user(request)
    organization = access.life_organization_for(user, org_pk, Action.MANAGE)
    initial: dict[str, Any] = {}
    if request.GET.get("kind"):
        initial["kind"] = MeetingKind.objects.filter(code=request.GET["kind"]).first()
    form = MeetingForm(request.POST or None, organization=organization, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_plan(
                organization=organization, by=user, fields=form.meeting_fields(), chosen=form.cleaned_data["chosen"]
            )
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("会议已计划，应到 %(count)s 人。") % {"count": meeting.expected_count})
            return redirect("meeting_detail", meeting.pk)
    return render(request, "meetings/meeting_form.html", {"form": form, "organization": organization})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    meeting = access.meeting_for(user, pk, Action.MANAGE)
    form = MeetingForm(request.POST or None, organization=meeting.organization, initial=MeetingForm.initial_of(meeting))
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(meeting=meeting, by=user, fields=form.meeting_fields())
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("会议信息已保存。"))
            return redirect("meeting_detail", meeting.pk)
    return render(
        request, "meetings/meeting_form.html", {"form": form, "organization": meeting.organization, "meeting": meeting}
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting: what it is, who was expected and how each took part, its minutes and its evidence."""
    user = _user(request)
    meeting = access.meeting_for(user, pk, Action.VIEW)
    sees_sheet = access.reads_sheet(user, meeting)
    own = access.expects(user, meeting)
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "actions": access.allowed_actions(user, meeting),
            "sees_sheet": sees_sheet,
            "sheet": list(selectors.attendance_sheet(meeting)) if sees_sheet else [],
            "own": own,
            "may_sign_in": own is not None and access.may_sign_in(own, meeting),
            "files": list(meeting.files.all()) if sees_sheet else [],
            "records": list(meeting.records.select_related("record__item")) if sees_sheet else [],
            "mark_form": MarkForm(),
            "files_form": FilesForm(),
            "cancel_form": CancelForm(),
        },
    )


def _done(request: HttpRequest, meeting: Meeting, work: Any, message: str) -> HttpResponse:
    try:
        work()
    except DomainError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, message)
    return redirect("meeting_detail", meeting.pk)


@login_required
@require_POST
def open_sign_in(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    meeting = access.meeting_for(user, pk, Action.MANAGE)
    try:
        services.meeting_open(meeting=meeting, by=user)
    except DomainError as refused:
        messages.error(request, str(refused))
        return redirect("meeting_detail", meeting.pk)
    return redirect("meeting_code", meeting.pk)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    meeting = access.meeting_for(user, pk, Action.MANAGE)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写取消原因。"))
        return redirect("meeting_detail", meeting.pk)
    reason = form.cleaned_data["reason"]
    return _done(
        request, meeting, lambda: services.meeting_cancel(meeting=meeting, by=user, reason=reason), _("会议已取消。")
    )


@login_required
def code_screen(request: HttpRequest, pk: int) -> HttpResponse:
    """The host's screen: the QR code and the short code of this minute, and who has signed in so far.
    The page reloads itself when the code changes (no script needed)."""
    user = _user(request)
    meeting = access.meeting_for(user, pk, Action.MANAGE)
    if "show_code" not in access.allowed_actions(user, meeting):
        messages.error(request, _("签到未开始或已结束。"))
        return redirect("meeting_detail", meeting.pk)
    now = timezone.now()
    code = services.sign_in_code(meeting, now)
    address = request.build_absolute_uri(reverse("meeting_sign_in", args=[meeting.pk])) + f"?code={code}"
    return render(
        request,
        "meetings/code_screen.html",
        {
            "meeting": meeting,
            "code": code,
            "qr": qr_code_data_uri(address),
            "address": address,
            "reload_in": services.seconds_left(now) + 1,
            "sheet": list(selectors.attendance_sheet(meeting)),
        },
    )


@login_required
def sign_in(request: HttpRequest, pk: int) -> HttpResponse:
    """签到 from a member's own phone: the QR code opens this page with the code; the member confirms."""
    user = _user(request)
    meeting = access.meeting_for(user, pk, Action.VIEW)
    own = access.expects(user, meeting)
    form = CodeForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_sign_in(meeting=meeting, by=user, code=form.cleaned_data["code"])
        except DomainError as refused:
            form.add_error("code", str(refused))
        else:
            messages.success(request, _("签到成功。"))
            return redirect("meeting_detail", meeting.pk)
    return render(request, "meetings/sign_in.html", {"meeting": meeting, "own": own, "form": form})


@login_required
def sign_in_by_code(request: HttpRequest) -> HttpResponse:
    """签到 by typing the short code, for a phone that cannot scan: the code names the meeting."""
    user = _user(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.sign_in_by_code(by=user, code=form.cleaned_data["code"])
        except DomainError as refused:
            form.add_error("code", str(refused))
        else:
            messages.success(request, _("签到成功。"))
            return redirect("meeting_detail", row.meeting_id)
    return render(
        request,
        "meetings/sign_in.html",
        {"meeting": None, "form": form, "awaiting": selectors.home_life(user, []).awaiting},
    )


@login_required
@require_POST
def mark(request: HttpRequest, pk: int) -> HttpResponse:
    """The host records one person by hand: present, remote, on leave with its reason, or not signed in."""
    user = _user(request)
    row = access.attendance_for(user, pk)
    form = MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择出席、远程参加、请假或未签到。"))
        return redirect("meeting_detail", row.meeting_id)
    choice = form.cleaned_data["status"]
    status = Attendance.Status.PRESENT if choice == "remote" else choice
    try:
        services.attendance_mark(
            row=row, by=user, status=status, reason=form.cleaned_data["reason"], remote=choice == "remote"
        )
    except DomainError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("已登记%(name)s的参会情况。") % {"name": row.member.name})
    return redirect((request.POST.get("back") == "screen" and "meeting_code") or "meeting_detail", row.meeting_id)


@login_required
def close(request: HttpRequest, pk: int) -> HttpResponse:
    """登记召开: the minutes (and resolutions); whoever has not signed in is recorded absent."""
    user = _user(request)
    meeting = access.meeting_for(user, pk, Action.MANAGE)
    held = meeting.status == Meeting.Status.HELD
    initial = {"minutes": meeting.minutes, "resolutions": meeting.resolutions}
    form = MinutesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if held:
                services.meeting_minutes_update(
                    meeting=meeting, by=user, minutes=data["minutes"], resolutions=data["resolutions"]
                )
            else:
                services.meeting_close(
                    meeting=meeting, by=user, minutes=data["minutes"], resolutions=data["resolutions"]
                )
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("会议记录已保存。") if held else _("会议已登记为召开。"))
            return redirect("meeting_detail", meeting.pk)
    return render(request, "meetings/close_form.html", {"form": form, "meeting": meeting, "held": held})


@login_required
@require_POST
def files_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    meeting = access.meeting_for(user, pk, Action.MANAGE)
    form = FilesForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
        return redirect("meeting_detail", meeting.pk)
    files = form.cleaned_data["uploads"]
    return _done(
        request, meeting, lambda: services.meeting_files_add(meeting=meeting, by=user, files=files), _("佐证已上传。")
    )


@login_required
def file_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serves a meeting's evidence file (or with `?size=thumb` its thumbnail) from storage, never from a public URL."""
    stored = access.file_for(_user(request), pk, Action.VIEW)
    return attached_file_response(request, stored, stored.file)


@login_required
@require_POST
def file_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    stored = access.file_for(user, pk, Action.MANAGE)
    meeting = stored.meeting
    return _done(request, meeting, lambda: services.meeting_file_remove(stored=stored, by=user), _("佐证已删除。"))


@login_required
def rules(request: HttpRequest, org_pk: int) -> HttpResponse:
    """组织生活频次: the rule each kind follows in the committee's subtree, where it comes from, and the
    committee's own kinds. A change takes effect on the next refresh of each organization's year."""
    user = _user(request)
    organization = access.rules_organization_for(user, org_pk)
    if request.method == "POST":
        return _rules_post(request, organization, user)
    rows = [
        {
            "row": row,
            "form": RuleForm(
                prefix=f"k{row.kind.pk}",
                initial={"period": row.shown.period, "count": row.shown.count, "required": row.shown.required}
                if row.shown
                else {"period": "year", "count": 1, "required": False},
            ),
        }
        for row in progress.rule_rows(organization)
    ]
    return render(request, "meetings/rules.html", {"organization": organization, "rows": rows, "kind_form": KindForm()})


def _rules_post(request: HttpRequest, organization: Any, user: User) -> HttpResponse:
    try:
        if request.POST.get("add_kind"):
            form = KindForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("请填写会议类型名称、应到人员、周期和次数。"))
            data = form.cleaned_data
            services.kind_add(
                organization=organization,
                by=user,
                name=data["name"],
                attendees=data["attendees"],
                period=data["period"],
                count=data["count"],
                required=data["required"],
            )
            messages.success(request, _("已添加会议类型。"))
        else:
            kind_pk = request.POST.get("kind", "")
            kind = MeetingKind.objects.filter(pk=int(kind_pk)).first() if kind_pk.isdigit() else None
            if kind is None:
                raise DomainError(_("请选择会议类型。"))
            if request.POST.get("clear"):
                services.rule_clear(organization=organization, kind=kind, by=user)
                messages.success(request, _("已恢复为上级或默认规则。"))
            else:
                rule_form = RuleForm(request.POST, prefix=f"k{kind.pk}")
                if not rule_form.is_valid():
                    raise DomainError(_("每周期次数须在 1 到 31 之间。"))
                data = rule_form.cleaned_data
                services.rule_set(
                    organization=organization,
                    kind=kind,
                    by=user,
                    period=data["period"],
                    count=data["count"],
                    required=data["required"],
                )
                messages.success(request, _("已保存“%(kind)s”的频次规则。") % {"kind": kind.name})
    except DomainError as refused:
        messages.error(request, str(refused))
    return redirect("meeting_rules", organization.pk)


urlpatterns = [
    path("meetings/", home, name="meeting_home"),
    path("meetings/o/<int:org_pk>/", organization_life, name="meeting_organization"),
    path("meetings/o/<int:org_pk>/<int:year>/", year_page, name="meeting_year"),
    path("meetings/o/<int:org_pk>/new/", plan, name="meeting_plan"),
    path("meetings/rules/<int:org_pk>/", rules, name="meeting_rules"),
    path("meetings/sign-in/", sign_in_by_code, name="meeting_sign_in_code"),
    path("meetings/<int:pk>/", detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", edit, name="meeting_edit"),
    path("meetings/<int:pk>/open/", open_sign_in, name="meeting_open"),
    path("meetings/<int:pk>/code/", code_screen, name="meeting_code"),
    path("meetings/<int:pk>/sign-in/", sign_in, name="meeting_sign_in"),
    path("meetings/<int:pk>/close/", close, name="meeting_close"),
    path("meetings/<int:pk>/cancel/", cancel, name="meeting_cancel"),
    path("meetings/<int:pk>/files/", files_add, name="meeting_files"),
    path("meetings/attendance/<int:pk>/mark/", mark, name="meeting_mark"),
    path("meetings/files/<int:pk>/", file_download, name="meeting_file"),
    path("meetings/files/<int:pk>/remove/", file_remove, name="meeting_file_remove"),
]
