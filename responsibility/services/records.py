"""履责记实: records against list items, their evidence and their review; who may record and correct."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import User
from foundation.errors import DomainError, clean_text, transition
from foundation.files import evidence_check, stored_file_delete
from notifications.services import notify
from responsibility import progress, texts
from responsibility.models import DutyRecord, DutyType, Evidence, ListItem
from responsibility.services.rules import RECORD_TRANSITIONS, SUPERVISES, RecordStatus, check_actor

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


class EvidenceMissing(DomainError):
    """Accepting a record with no evidence, without saying it is meant."""


def record_has_evidence(record: DutyRecord) -> bool:
    """Whether the record shows what was done: its files, or the held meeting that wrote it (its minutes,
    sign-in and files are kept with the meeting)."""
    # The meeting first: one query either way, so a page's query count does not depend on the files.
    return written_by_meeting(record) or record.evidence.exists()


def written_by_meeting(record: DutyRecord) -> bool:
    """A record a held meeting wrote (一次录入，多处使用): its content is the meeting's, corrected on the meeting,
    never typed over here. Asked through the reverse name the meetings app gives its link, since this layer
    imports nothing above it."""
    return DutyRecord.objects.filter(pk=record.pk, meeting_link__isnull=False).exists()


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
    if written_by_meeting(record):
        raise DomainError(_("这条记实由会议自动生成，内容以会议为准，请在会议中修改。"))
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
    texts.record_compared(record)
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
    texts.record_compared(locked)
    return locked


@transaction.atomic
def record_follow_meeting(*, record: DutyRecord, content: str, by: User) -> DutyRecord:
    """The meeting behind a record was completed (its minutes, after a return asked for them): the record takes
    the meeting's words again, and a returned one goes back for review and counts again. An accepted record
    stays as it was accepted."""
    locked = _locked_record(record)
    if not written_by_meeting(locked):
        raise DomainError(_("这条记实不是由会议生成的。"))
    if not may_edit_record(by, locked):
        raise DomainError(_("只有记录人（仍为该事项的现任责任人时）和负责本组织工作的人员可以修改这条记实。"))
    if locked.status == RecordStatus.ACCEPTED or locked.item.list.is_closed:
        return locked
    locked.content = clean_text(content, field=_("履责内容"), max_length=5000)
    if locked.status == RecordStatus.RETURNED:
        locked.status = transition(RECORD_TRANSITIONS, "resubmit", locked.status, locked.get_status_display())
        locked.submitted_at = timezone.now()
    locked.save()
    progress.refresh_items([locked.item_id])
    texts.record_compared(locked)
    return locked


@transaction.atomic
def record_accept(*, record: DutyRecord, by: User, without_evidence: bool = False) -> DutyRecord:
    """The committee accepts the record as sufficient; one with no evidence only if it says so (WITHOUT_EVIDENCE)."""
    check_actor(by, record.organization, SUPERVISES)
    locked = _locked_record(record)
    if locked.item.list.is_closed:
        raise DomainError(_("该年度已关闭。"))
    # A record with nothing to show for it is accepted only on purpose, never by a click meant for the next row.
    if not without_evidence and not record_has_evidence(locked):
        raise EvidenceMissing(_("该记实没有佐证材料。如确认仍予通过，请勾选“确认无佐证材料仍予通过”。"))
    locked.status = transition(RECORD_TRANSITIONS, "accept", locked.status, locked.get_status_display())
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.review_reason = ""
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    return locked


@transaction.atomic
def record_return(*, record: DutyRecord, by: User, reason: str) -> DutyRecord:
    """驳回: the record is too thin; it stops counting and the author sees why."""
    check_actor(by, record.organization, SUPERVISES)
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
        key="record_returned",
        params={"content": locked.content[:40], "reason": reason},
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
    transaction.on_commit(lambda: stored_file_delete(storage, name))
