"""责任清单: a list's items and its workflow (draft, submitted, approved or returned, revised, closed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, Position, User
from foundation.concurrency import fingerprint, is_stale
from foundation.errors import DomainError, clean_text, transition
from notifications.services import notify
from responsibility import progress, versions
from responsibility.models import (
    Category,
    DutyType,
    ListItem,
    ListTemplate,
    ListVersion,
    Period,
    ResponsibilityList,
    WorkPoint,
)
from responsibility.services.rules import (
    KEEPS_OR_ABOVE,
    LIST_TRANSITIONS,
    SUPERVISES,
    ListStatus,
    check_actor,
    check_target,
    check_year,
)

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
    check_actor(by, organization, KEEPS_OR_ABOVE)
    check_year(year)
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
    check_actor(by, responsibility_list.organization, KEEPS_OR_ABOVE)
    _check_editable(responsibility_list)
    if duty_type not in DutyType.values:
        raise DomainError(_("请选择有效的责任类型。"))
    count = check_target(year=responsibility_list.year, period=target_period, count=target_count, due_date=due_date)
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
    check_actor(by, item.list.organization, KEEPS_OR_ABOVE)
    current = ListItem.objects.select_for_update().get(pk=item.pk)
    if is_stale(current, ITEM_FIELDS, expected):
        raise DomainError(_("该内容已被他人修改，请核对后再保存；您填写的内容仍保留在下方。"))
    responsibility_list = item.list
    _check_editable(responsibility_list)
    if duty_type not in DutyType.values:
        raise DomainError(_("请选择有效的责任类型。"))
    count = check_target(year=responsibility_list.year, period=target_period, count=target_count, due_date=due_date)
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
    check_actor(by, responsibility_list.organization, KEEPS_OR_ABOVE)
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
    check_actor(by, responsibility_list.organization, KEEPS_OR_ABOVE)
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
    check_actor(by, responsibility_list.organization, SUPERVISES)
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
    check_actor(by, responsibility_list.organization, SUPERVISES)
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
            key="list_returned",
            params={"year": locked.year, "comment": comment},
            url=reverse("list_detail", args=[locked.pk]),
        )
    return locked


@transaction.atomic
def list_revise(
    *, responsibility_list: ResponsibilityList, by: User, expected: str | None = None
) -> ResponsibilityList:
    """Opens an approved list for change as a new version; the approved one stays readable."""
    check_actor(by, responsibility_list.organization, KEEPS_OR_ABOVE)
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
    check_actor(by, responsibility_list.organization, SUPERVISES)
    locked = _locked_list(responsibility_list, expected)
    if locked.is_closed:
        raise DomainError(_("该年度清单已关闭。"))
    locked.closed_at = timezone.now()
    locked.save(update_fields=["closed_at"])
    return locked
