"""Every write to work points, lists, records, commitments and contact points.

Views resolve what a person reaches (responsibility.access); these functions hold the
business rules and refuse with a DomainError whose message is shown to the person. Each
checks its actor again through accounts.permissions (`_check_actor`, and what a position
entitles someone to: recording against an item as its responsible person, correcting
one's records, designating a contact point and recording its visits), raising
PermissionDenied for someone with no standing, so a stale page, a task, a command or a
future API is refused like a page. Each runs in one transaction: a refused action leaves
nothing half-saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Organization, Position, User
from foundation.concurrency import fingerprint, is_stale
from foundation.errors import DomainError, clean_text, transition
from foundation.files import evidence_check
from notifications.services import notify
from responsibility import progress, versions
from responsibility.models import (
    Category,
    ContactPoint,
    ContactVisit,
    DutyRecord,
    DutyType,
    Evidence,
    ListItem,
    ListTemplate,
    ListVersion,
    Period,
    PublicCommitment,
    ResponsibilityList,
    TemplateItem,
    WorkPlan,
    WorkPoint,
)

ListStatus = ResponsibilityList.Status
RecordStatus = DutyRecord.Status

# The one place that says which list and record transitions are allowed.
LIST_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({ListStatus.DRAFT, ListStatus.RETURNED}), ListStatus.SUBMITTED),
    "approve": (frozenset({ListStatus.SUBMITTED}), ListStatus.APPROVED),
    "return": (frozenset({ListStatus.SUBMITTED}), ListStatus.RETURNED),
    "revise": (frozenset({ListStatus.APPROVED}), ListStatus.DRAFT),
}
RECORD_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({RecordStatus.SUBMITTED}), RecordStatus.ACCEPTED),
    "return": (frozenset({RecordStatus.SUBMITTED, RecordStatus.ACCEPTED}), RecordStatus.RETURNED),
    "resubmit": (frozenset({RecordStatus.RETURNED}), RecordStatus.SUBMITTED),
}


Action = permissions.Action
KEEPS = (Action.MANAGE,)
"""The organization's own work: its plans, templates and commitment are kept by its leaders."""
KEEPS_OR_ABOVE = (Action.MANAGE, Action.SUPERVISE)
"""A list and its items: kept by the organization's leaders, and the committees above may act on it too."""
SUPERVISES = (Action.SUPERVISE,)
"""Approving, returning and closing a list, accepting and returning a record: the committees above."""


def _check_actor(by: User, organization: Organization, actions: tuple[Action, ...]) -> None:
    """Refuses BY (PermissionDenied) unless they may do one of ACTIONS on the organization now, however the
    service was called: a page, a task, a command. A position that has ended grants nothing."""
    if not any(permissions.can(by, action, organization) for action in actions):
        raise PermissionDenied


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise DomainError(_("年度 %(year)s 无效。") % {"year": year})


def _check_target(*, year: int, period: str, count: Any, due_date: date | None) -> int:
    """A target is a positive whole count per period, or one due date inside the year."""
    if period not in Period.values:
        raise DomainError(_("请选择有效的周期。"))
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise DomainError(_("目标次数必须是正整数。"))
    if count > 366:
        raise DomainError(_("目标次数不能超过 366。"))
    if period == Period.ONCE:
        if due_date is None:
            raise DomainError(_("限期完成的条目须填写完成期限。"))
        if due_date.year != year:
            raise DomainError(_("完成期限须在 %(year)s 年内。") % {"year": year})
    return count


# 年度工作要点 ---------------------------------------------------------------


@transaction.atomic
def work_plan_create(*, organization: Organization, year: int, title: str, by: User) -> WorkPlan:
    """Starts a committee's work points for a year."""
    _check_actor(by, organization, KEEPS)
    _check_year(year)
    if not organization.is_committee:
        raise DomainError(_("只有党委、党工委、党总支可以制定年度工作要点。"))
    if WorkPlan.objects.filter(organization=organization, year=year).exists():
        raise DomainError(_("%(year)s 年度工作要点已存在。") % {"year": year})
    return WorkPlan.objects.create(
        organization=organization, year=year, title=clean_text(title, field=_("标题"), max_length=128)
    )


@transaction.atomic
def work_point_add(*, plan: WorkPlan, category: Category, text: str, by: User) -> WorkPoint:
    """Adds a point; points may still be added after publication."""
    _check_actor(by, plan.organization, KEEPS)
    order = (plan.points.aggregate(last=Max("order"))["last"] or 0) + 1
    return WorkPoint.objects.create(
        plan=plan, category=category, text=clean_text(text, field=_("内容"), max_length=500), order=order
    )


@transaction.atomic
def work_point_remove(*, point: WorkPoint, by: User) -> None:
    """Removes a point no list has broken down yet."""
    _check_actor(by, point.plan.organization, KEEPS)
    if point.list_items.exists():
        raise DomainError(_("已有下级清单落实该要点，不能删除。"))
    point.delete()


@transaction.atomic
def work_plan_publish(*, plan: WorkPlan, by: User) -> WorkPlan:
    """Publishes the points to the whole subtree."""
    _check_actor(by, plan.organization, KEEPS)
    if plan.is_published:
        raise DomainError(_("该工作要点已发布。"))
    if not plan.points.exists():
        raise DomainError(_("请先添加至少一条工作要点。"))
    plan.published_at = timezone.now()
    plan.save(update_fields=["published_at"])
    return plan


# 清单模板 --------------------------------------------------------------------


@transaction.atomic
def template_create(*, organization: Organization, name: str, sector: str, by: User) -> ListTemplate:
    """Starts a committee's list template for its subtree (or one sector of it)."""
    _check_actor(by, organization, KEEPS)
    if not organization.is_committee:
        raise DomainError(_("只有党委、党工委、党总支可以发布清单模板。"))
    if sector and sector not in Organization.Sector.values:
        raise DomainError(_("请选择有效的领域。"))
    return ListTemplate.objects.create(
        organization=organization, name=clean_text(name, field=_("名称"), max_length=128), sector=sector
    )


@transaction.atomic
def template_item_add(
    *,
    template: ListTemplate,
    category: Category,
    duty_type: str,
    content: str,
    target_period: str,
    target_count: Any,
    by: User,
) -> TemplateItem:
    """Adds an item to a template; a template's items are periodic, never a due date."""
    _check_actor(by, template.organization, KEEPS)
    if duty_type not in DutyType.values:
        raise DomainError(_("请选择有效的责任类型。"))
    if target_period == Period.ONCE:
        raise DomainError(_("模板条目请用周期性目标；限期事项在各自清单中设定期限。"))
    count = _check_target(year=timezone.localdate().year, period=target_period, count=target_count, due_date=None)
    order = (template.items.aggregate(last=Max("order"))["last"] or 0) + 1
    return TemplateItem.objects.create(
        template=template,
        category=category,
        duty_type=duty_type,
        content=clean_text(content, field=_("内容"), max_length=500),
        target_period=target_period,
        target_count=count,
        order=order,
    )


@transaction.atomic
def template_publish(*, template: ListTemplate, by: User) -> ListTemplate:
    """Offers the template to the organizations below when they start their lists."""
    _check_actor(by, template.organization, KEEPS)
    if not template.items.exists():
        raise DomainError(_("请先添加至少一个模板条目。"))
    template.is_published = True
    template.save(update_fields=["is_published"])
    return template


# 责任清单 --------------------------------------------------------------------


def _default_responsible(organization: Organization, duty_type: str) -> Position | None:
    """The secretary answers for 第一责任人 items, the deputy for 直接责任人; others are chosen."""
    role = {DutyType.FIRST: Position.Role.SECRETARY, DutyType.DIRECT: Position.Role.DEPUTY}.get(DutyType(duty_type))
    if role is None:
        return None
    return Position.objects.holder(organization, role)


@transaction.atomic
def list_start(
    *, organization: Organization, year: int, by: User, template: ListTemplate | None = None
) -> ResponsibilityList:
    """Opens the organization's list for a year, from a published template if one is given."""
    _check_actor(by, organization, KEEPS_OR_ABOVE)
    _check_year(year)
    if ResponsibilityList.objects.filter(organization=organization, year=year).exists():
        raise DomainError(_("%(year)s 年度责任清单已存在。") % {"year": year})
    if template is not None:
        if not template.is_published:
            raise DomainError(_("该模板尚未发布。"))
        if not organization.path.startswith(template.organization.path):
            raise DomainError(_("只能使用上级组织发布的模板。"))
    responsibility_list = ResponsibilityList.objects.create(organization=organization, year=year, template=template)
    if template is not None:
        defaults = {duty: _default_responsible(organization, duty) for duty in (DutyType.FIRST, DutyType.DIRECT)}
        ListItem.objects.bulk_create(
            ListItem(
                list=responsibility_list,
                category_id=source.category_id,
                duty_type=source.duty_type,
                content=source.content,
                target_period=source.target_period,
                target_count=source.target_count,
                responsible=defaults.get(DutyType(source.duty_type)),
                order=source.order,
            )
            for source in template.items.all()
        )
        progress.refresh_items(responsibility_list.items.all())
    return responsibility_list


def _check_editable(responsibility_list: ResponsibilityList) -> None:
    if responsibility_list.is_closed:
        raise DomainError(_("该年度清单已关闭，不能修改。"))
    if responsibility_list.status == ListStatus.SUBMITTED:
        raise DomainError(_("清单已提交审核，审核前不能修改。"))
    if responsibility_list.status == ListStatus.APPROVED:
        raise DomainError(_("清单已审定锁定。如需调整，请先发起修订（生成新版本，需重新审核）。"))


def _check_item_links(
    responsibility_list: ResponsibilityList, responsible: Position | None, work_point: WorkPoint | None
) -> None:
    if responsible is not None and (
        responsible.organization_id != responsibility_list.organization_id or not responsible.is_current
    ):
        raise DomainError(_("责任人须是本组织的现任人员。"))
    if work_point is not None:
        plan = work_point.plan
        if (
            plan.year != responsibility_list.year
            or not plan.is_published
            or not responsibility_list.organization.path.startswith(plan.organization.path)
        ):
            raise DomainError(_("只能落实本组织或上级组织已发布的当年工作要点。"))


@transaction.atomic
def list_item_add(
    *,
    responsibility_list: ResponsibilityList,
    category: Category,
    duty_type: str,
    content: str,
    target_period: str,
    target_count: Any,
    due_date: date | None = None,
    work_point: WorkPoint | None = None,
    responsible: Position | None = None,
    by: User,
) -> ListItem:
    """Adds an item to a draft or returned list."""
    _check_actor(by, responsibility_list.organization, KEEPS_OR_ABOVE)
    _check_editable(responsibility_list)
    if duty_type not in DutyType.values:
        raise DomainError(_("请选择有效的责任类型。"))
    count = _check_target(year=responsibility_list.year, period=target_period, count=target_count, due_date=due_date)
    _check_item_links(responsibility_list, responsible, work_point)
    if responsible is None:
        responsible = _default_responsible(responsibility_list.organization, duty_type)
    order = (responsibility_list.items.aggregate(last=Max("order"))["last"] or 0) + 1
    item = ListItem.objects.create(
        list=responsibility_list,
        category=category,
        duty_type=duty_type,
        content=clean_text(content, field=_("内容"), max_length=500),
        target_period=target_period,
        target_count=count,
        due_date=due_date if target_period == Period.ONCE else None,
        work_point=work_point,
        responsible=responsible,
        order=order,
    )
    progress.refresh_items([item.id])
    item.refresh_from_db(fields=progress.STATE_FIELDS)
    return item


# The fields the item edit form changes; their fingerprint is the version the form was loaded with.
ITEM_FIELDS = (
    "category",
    "duty_type",
    "content",
    "target_period",
    "target_count",
    "due_date",
    "work_point",
    "responsible",
)


def item_fingerprint(item: ListItem) -> str:
    return fingerprint(item, ITEM_FIELDS)


@transaction.atomic
def list_item_update(
    *,
    item: ListItem,
    category: Category,
    duty_type: str,
    content: str,
    target_period: str,
    target_count: Any,
    due_date: date | None = None,
    work_point: WorkPoint | None = None,
    responsible: Position | None = None,
    by: User,
    expected: str | None = None,
) -> ListItem:
    """Changes an item of a draft or returned list; its records stay with it.

    ``expected`` is the fingerprint the edit form was loaded with; when someone saved the item since,
    the save is refused so that their change is not silently overwritten (None skips the check).
    """
    _check_actor(by, item.list.organization, KEEPS_OR_ABOVE)
    current = ListItem.objects.select_for_update().get(pk=item.pk)
    if is_stale(current, ITEM_FIELDS, expected):
        raise DomainError(_("该内容已被他人修改，请核对后再保存；您填写的内容仍保留在下方。"))
    responsibility_list = item.list
    _check_editable(responsibility_list)
    if duty_type not in DutyType.values:
        raise DomainError(_("请选择有效的责任类型。"))
    count = _check_target(year=responsibility_list.year, period=target_period, count=target_count, due_date=due_date)
    _check_item_links(responsibility_list, responsible, work_point)
    # Judge the item against its target as it stands before changing it: a period that went late or
    # was missed since the last refresh is recorded now, and no new target or due date can undo that.
    progress.refresh_items([item.id])
    item.category = category
    item.duty_type = duty_type
    item.content = clean_text(content, field=_("内容"), max_length=500)
    item.target_period = target_period
    item.target_count = count
    item.due_date = due_date if target_period == Period.ONCE else None
    item.work_point = work_point
    item.responsible = responsible
    item.save()
    progress.refresh_items([item.id])
    item.refresh_from_db(fields=progress.STATE_FIELDS)
    return item


@transaction.atomic
def list_item_remove(*, item: ListItem, by: User) -> None:
    """Removes an item that has no records and no late marks; recorded work and lateness are never thrown away."""
    responsibility_list = item.list
    _check_actor(by, responsibility_list.organization, KEEPS_OR_ABOVE)
    _check_editable(responsibility_list)
    if item.records.exists():
        raise DomainError(_("该条目已有履责记实，不能删除。"))
    # A period that ended unmet since the last refresh is judged now, so removing the item cannot outrun it.
    progress.refresh_items([item.id])
    marks = item.late_marks.count()
    if marks and not responsibility_list.versions.exists():
        # Before its first approval a list is a proposal, not yet the year's record: an item withdrawn
        # from it (added by mistake, or late in the year with its earlier periods already past) takes its
        # marks along. Once a version is approved, its items' lateness is on the record for good.
        item.late_marks.all().delete()
    elif marks:
        raise DomainError(
            _(
                "该条目有 %(count)s 条逾期记录，是本年度履责情况的一部分，不能删除。"
                "如内容有误，请修改条目；逾期记录会原样保留。"
            )
            % {"count": marks}
        )
    item.delete()
    progress.refresh_lists([responsibility_list.id])


# The list's fields its workflow changes: their fingerprint is the version of the list page a step was taken on.
# A return and a resubmission bring the list back to 待审核 with a new submitted_at, so a review decided on
# the earlier submission is refused rather than applied to contents the reviewer never saw.
LIST_FIELDS = ("status", "version", "submitted_at", "reviewed_at", "review_comment", "closed_at")


class ListChanged(DomainError):
    """Someone took a step on the list after the page was loaded; the view keeps what was typed."""


def list_fingerprint(responsibility_list: ResponsibilityList) -> str:
    return fingerprint(responsibility_list, LIST_FIELDS)


def _locked_list(responsibility_list: ResponsibilityList, expected: str | None = None) -> ResponsibilityList:
    """Re-reads the list under a row lock so two reviewers cannot both act on one state.

    ``expected`` is the fingerprint the page was loaded with; a step over a newer state is refused
    (None skips the check).
    """
    locked = (
        ResponsibilityList.objects.select_for_update().select_related("organization").get(pk=responsibility_list.pk)
    )
    if is_stale(locked, LIST_FIELDS, expected):
        raise ListChanged(_("该责任清单已被他人办理，请核对最新状态后再操作；您填写的意见仍保留在下方。"))
    return locked


@transaction.atomic
def list_submit(
    *, responsibility_list: ResponsibilityList, by: User, expected: str | None = None
) -> ResponsibilityList:
    """Sends the list to the committee one level up."""
    _check_actor(by, responsibility_list.organization, KEEPS_OR_ABOVE)
    locked = _locked_list(responsibility_list, expected)
    if locked.is_closed:
        raise DomainError(_("该年度清单已关闭。"))
    target = transition(LIST_TRANSITIONS, "submit", locked.status, locked.get_status_display())
    if locked.organization.depth == 1:
        raise DomainError(_("本组织没有上级党组织，清单无需提交审核。"))
    items = list(locked.items.all())
    if not items:
        raise DomainError(_("清单还没有条目，不能提交。"))
    unassigned = [item for item in items if item.duty_type != DutyType.ORGANIZATION and item.responsible_id is None]
    if unassigned:
        raise DomainError(
            _("有 %(count)s 个条目尚未指定责任人（如“%(content)s”）。")
            % {"count": len(unassigned), "content": unassigned[0].content[:30]}
        )
    locked.status = target
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["status", "submitted_at"])
    return locked


def _snapshot(responsibility_list: ResponsibilityList) -> list[dict[str, Any]]:
    """The items as the version keeps them: with their ids and raw fields, so the next revision can be compared."""
    items = responsibility_list.items.select_related("category", "work_point", "responsible__person")
    return [versions.item_row(item) for item in items]


@transaction.atomic
def list_approve(
    *, responsibility_list: ResponsibilityList, by: User, comment: str = "", expected: str | None = None
) -> ResponsibilityList:
    """Approves and locks the list, keeping a frozen copy of this version."""
    _check_actor(by, responsibility_list.organization, SUPERVISES)
    locked = _locked_list(responsibility_list, expected)
    target = transition(LIST_TRANSITIONS, "approve", locked.status, locked.get_status_display())
    now = timezone.now()
    locked.status = target
    locked.reviewed_at = now
    locked.reviewed_by = by
    locked.review_comment = (comment or "").strip()
    locked.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_comment"])
    ListVersion.objects.create(
        list=locked,
        number=locked.version,
        items=_snapshot(locked),
        approved_at=now,
        approved_by=by,
        comment=locked.review_comment,
    )
    return locked


@transaction.atomic
def list_return(
    *, responsibility_list: ResponsibilityList, by: User, comment: str, expected: str | None = None
) -> ResponsibilityList:
    """Returns the list with comments the organization must answer."""
    _check_actor(by, responsibility_list.organization, SUPERVISES)
    comment = clean_text(comment, field=_("退回意见"), max_length=2000)
    locked = _locked_list(responsibility_list, expected)
    target = transition(LIST_TRANSITIONS, "return", locked.status, locked.get_status_display())
    locked.status = target
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = by
    locked.review_comment = comment
    locked.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_comment"])
    secretary = _default_responsible(locked.organization, DutyType.FIRST)
    if secretary is not None:
        notify(
            recipient=secretary.person,
            kind="list_returned",
            title=_("%(year)s 年度责任清单被退回修改") % {"year": locked.year},
            body=comment,
            url=reverse("list_detail", args=[locked.pk]),
        )
    return locked


@transaction.atomic
def list_revise(
    *, responsibility_list: ResponsibilityList, by: User, expected: str | None = None
) -> ResponsibilityList:
    """Opens an approved list for change as a new version; the approved one stays readable."""
    _check_actor(by, responsibility_list.organization, KEEPS_OR_ABOVE)
    locked = _locked_list(responsibility_list, expected)
    if locked.is_closed:
        raise DomainError(_("该年度清单已关闭，不能修订。"))
    target = transition(LIST_TRANSITIONS, "revise", locked.status, locked.get_status_display())
    locked.status = target
    locked.version += 1
    locked.review_comment = ""
    locked.save(update_fields=["status", "version", "review_comment"])
    return locked


@transaction.atomic
def list_close(*, responsibility_list: ResponsibilityList, by: User, expected: str | None = None) -> ResponsibilityList:
    """Closes the year: no more records or changes. Done by the committee after the assessment."""
    _check_actor(by, responsibility_list.organization, SUPERVISES)
    locked = _locked_list(responsibility_list, expected)
    if locked.is_closed:
        raise DomainError(_("该年度清单已关闭。"))
    locked.closed_at = timezone.now()
    locked.save(update_fields=["closed_at"])
    return locked


# 履责记实 --------------------------------------------------------------------


def answers_for(user: User, item: ListItem) -> bool:
    """Whether the user is the item's responsible person now: the position the item names is theirs and current.

    The item keeps naming a position that has ended (history); it no longer lets its former holder act.
    """
    responsible = item.responsible
    return responsible is not None and responsible.person_id == user.pk and responsible.is_current


def may_record(user: User, item: ListItem) -> bool:
    """Those who keep the organization's work, and the item's responsible person while their position lasts."""
    return answers_for(user, item) or permissions.can(user, permissions.Action.MANAGE, item.list.organization)


def may_edit_record(user: User, record: DutyRecord) -> bool:
    """Those who keep the organization's work, and the record's author while they may still record on its item."""
    if permissions.can(user, permissions.Action.MANAGE, record.organization):
        return True
    return record.created_by_id == user.pk and answers_for(user, record.item)


def editable_records_q(user: User) -> Q:
    """`may_edit_record` as a filter on records (the home page's returned records)."""
    scope = permissions.scope_for(user)
    if scope.is_admin:
        return Q()
    return Q(organization__path__in=sorted(scope.manage_paths)) | Q(
        created_by=user, item__responsible__person=user, item__responsible__is_current=True
    )


def _check_may_record(item: ListItem, by: User) -> None:
    if not may_record(by, item):
        raise DomainError(_("您不是该事项的现任责任人，也不负责本组织的工作，不能记实。"))


def _check_may_edit(record: DutyRecord, by: User) -> None:
    if not may_edit_record(by, record):
        raise DomainError(_("只有记录人（仍为该事项的现任责任人时）和负责本组织工作的人员可以修改这条记实。"))


def _check_record_fields(item: ListItem, *, occurred_on: date, content: str, personal_action: str, today: date) -> str:
    responsibility_list = item.list
    if responsibility_list.is_closed:
        raise DomainError(_("%(year)s 年度已关闭（锁定），不能再记实。") % {"year": responsibility_list.year})
    if occurred_on.year != responsibility_list.year:
        raise DomainError(
            _("履责日期 %(date)s 不在 %(year)s 年度内。")
            % {"date": date_format(occurred_on), "year": responsibility_list.year}
        )
    if occurred_on > today:
        raise DomainError(_("履责日期不能晚于今天。"))
    if personal_action and personal_action not in DutyRecord.PersonalAction.values:
        raise DomainError(_("请选择有效的亲自履责方式。"))
    if personal_action and item.duty_type != DutyType.FIRST:
        raise DomainError(_("“亲自部署/过问/协调/督办”只用于书记第一责任人条目。"))
    return clean_text(content, field=_("履责内容"), max_length=5000)


def _attach(record: DutyRecord, checked: Sequence[tuple[UploadedFile, str]], by: User) -> None:
    """Stores files already checked by `evidence_check`, each with the type sniffed from it."""
    existing = record.evidence.count() if record.pk else 0
    if existing + len(checked) > settings.EVIDENCE_MAX_FILES:
        raise DomainError(_("每条记实最多 %(max)s 个佐证文件。") % {"max": settings.EVIDENCE_MAX_FILES})
    for upload, mime in checked:
        Evidence.objects.create(
            record=record,
            file=upload,
            original_name=(upload.name or "")[:200],
            content_type=mime,
            size=upload.size or 0,
            uploaded_by=by,
        )


@transaction.atomic
def record_add(
    *,
    item: ListItem,
    occurred_on: date,
    content: str,
    done_by: User,
    by: User,
    personal_action: str = "",
    files: Sequence[UploadedFile] = (),
) -> DutyRecord:
    """Records work done against an item, with its evidence; the item's colour follows."""
    _check_may_record(item, by)
    today = timezone.localdate()
    content = _check_record_fields(
        item, occurred_on=occurred_on, content=content, personal_action=personal_action, today=today
    )
    # Check every file before anything is written, so a bad file leaves no trace.
    checked = [(upload, evidence_check(upload)) for upload in files]
    record = DutyRecord.objects.create(
        item=item,
        organization_id=item.list.organization_id,
        occurred_on=occurred_on,
        content=content,
        done_by=done_by,
        personal_action=personal_action,
        created_by=by,
        submitted_at=timezone.now(),
    )
    _attach(record, checked, by)
    progress.refresh_items([item.id])
    return record


def _locked_record(record: DutyRecord) -> DutyRecord:
    return DutyRecord.objects.select_for_update().select_related("item__list").get(pk=record.pk)


@transaction.atomic
def record_update(
    *,
    record: DutyRecord,
    occurred_on: date,
    content: str,
    personal_action: str = "",
    files: Sequence[UploadedFile] = (),
    by: User,
) -> DutyRecord:
    """The author corrects a record; a returned one goes back for review and counts again."""
    locked = _locked_record(record)
    _check_may_edit(locked, by)
    if locked.status == RecordStatus.ACCEPTED:
        raise DomainError(_("已认可的记实不能修改。"))
    content = _check_record_fields(
        locked.item,
        occurred_on=occurred_on,
        content=content,
        personal_action=personal_action,
        today=timezone.localdate(),
    )
    checked = [(upload, evidence_check(upload)) for upload in files]
    locked.occurred_on = occurred_on
    locked.content = content
    locked.personal_action = personal_action
    if locked.status == RecordStatus.RETURNED:
        locked.status = transition(RECORD_TRANSITIONS, "resubmit", locked.status, locked.get_status_display())
        locked.submitted_at = timezone.now()
    locked.save()
    _attach(locked, checked, by)
    progress.refresh_items([locked.item_id])
    return locked


@transaction.atomic
def record_accept(*, record: DutyRecord, by: User) -> DutyRecord:
    """The committee accepts the record as sufficient."""
    _check_actor(by, record.organization, SUPERVISES)
    locked = _locked_record(record)
    if locked.item.list.is_closed:
        raise DomainError(_("该年度已关闭。"))
    locked.status = transition(RECORD_TRANSITIONS, "accept", locked.status, locked.get_status_display())
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.review_reason = ""
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    return locked


@transaction.atomic
def record_return(*, record: DutyRecord, by: User, reason: str) -> DutyRecord:
    """驳回: the record is too thin; it stops counting and the author sees why."""
    _check_actor(by, record.organization, SUPERVISES)
    reason = clean_text(reason, field=_("驳回理由"), max_length=2000)
    locked = _locked_record(record)
    if locked.item.list.is_closed:
        raise DomainError(_("该年度已关闭。"))
    locked.status = transition(RECORD_TRANSITIONS, "return", locked.status, locked.get_status_display())
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.review_reason = reason
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    progress.refresh_items([locked.item_id])
    notify(
        recipient=locked.created_by,
        kind="record_returned",
        title=_("履责记实被驳回：%(content)s") % {"content": locked.content[:40]},
        body=reason,
        url=reverse("record_detail", args=[locked.pk]),
    )
    return locked


@transaction.atomic
def evidence_remove(*, evidence: Evidence, by: User) -> None:
    """Removes a file from a record that is not yet accepted."""
    record = _locked_record(evidence.record)
    _check_may_edit(record, by)
    if record.status == RecordStatus.ACCEPTED:
        raise DomainError(_("已认可的记实不能修改。"))
    if record.item.list.is_closed:
        raise DomainError(_("该年度已关闭。"))
    storage, name = evidence.file.storage, evidence.file.name or ""
    evidence.delete()
    # Delete the file only once the row's removal is committed.
    transaction.on_commit(lambda: storage.delete(name))


# 公开承诺 --------------------------------------------------------------------


@transaction.atomic
def commitment_save(*, organization: Organization, year: int, text: str, publish: bool, by: User) -> PublicCommitment:
    """Saves the secretary's public commitment; publishing shows it on the public page."""
    _check_actor(by, organization, KEEPS)
    _check_year(year)
    text = clean_text(text, field=_("承诺内容"), max_length=5000)
    # The commitment is the secretary's own, whoever of the leading roles types it in.
    secretary_position = (
        Position.objects.current().filter(organization=organization, role=Position.Role.SECRETARY).first()
    )
    secretary = secretary_position.person if secretary_position is not None else by
    commitment, _created = PublicCommitment.objects.get_or_create(
        organization=organization, year=year, defaults={"text": text, "secretary": secretary}
    )
    commitment.text = text
    commitment.secretary = secretary
    if publish and commitment.published_at is None:
        commitment.published_at = timezone.now()
    elif not publish:
        commitment.published_at = None
    commitment.save()
    return commitment


# 书记联系点 ------------------------------------------------------------------


@transaction.atomic
def contact_point_designate(
    *, member: User, organization: Organization, year: int, reason: str, by: User
) -> ContactPoint:
    """A committee member takes a weak subordinate organization as a contact point: one they supervise."""
    _check_year(year)
    reason = clean_text(reason, field=_("确定原因"), max_length=500)
    if not permissions.can(member, permissions.Action.SUPERVISE, organization):
        raise DomainError(_("只能选择您督导范围内的下级党组织作为联系点。"))
    # Whoever designates (the member, or someone acting for them) supervises the organization too.
    _check_actor(by, organization, SUPERVISES)
    if ContactPoint.objects.filter(member=member, organization=organization, year=year).exists():
        raise DomainError(_("%(org)s 已是您 %(year)s 年的联系点。") % {"org": organization.name, "year": year})
    return ContactPoint.objects.create(member=member, organization=organization, year=year, reason=reason)


@transaction.atomic
def contact_visit_add(
    *, contact_point: ContactPoint, visited_on: date, summary: str, problems: str = "", by: User
) -> ContactVisit:
    """Records a visit to a contact point: by those who supervise its organization now.

    The designation does not outlive the member's position: once it has ended (or a grant was revoked)
    they record no more visits on it, as designating it again would be refused.
    """
    organization = contact_point.organization
    if not permissions.can(by, permissions.Action.SUPERVISE, organization):
        raise DomainError(
            _("您已不再督导%(org)s（任职已结束或督导授权已撤销），不能再记录走访。") % {"org": organization.name}
        )
    if visited_on > timezone.localdate():
        raise DomainError(_("走访日期不能晚于今天。"))
    if visited_on.year != contact_point.year:
        raise DomainError(_("走访日期须在 %(year)s 年内。") % {"year": contact_point.year})
    return ContactVisit.objects.create(
        contact_point=contact_point,
        visited_on=visited_on,
        summary=clean_text(summary, field=_("指导内容"), max_length=5000),
        problems=(problems or "").strip()[:5000],
        created_by=by,
    )
