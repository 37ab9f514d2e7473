"""Every write to the roll: members, their status, transfers, party groups, the import and the export's log.

Each checks its actor through members.access (built on accounts.permissions) and refuses bad input with
a DomainError in Chinese; nothing is written when anything is refused.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.importing import ImportRejected, RowError
from accounts.models import Organization, Position, User
from foundation.errors import DomainError, clean_text
from members import access, exports, importing, rules
from members.fields import MemberFields, MigrantDetails
from members.models import Member, MemberStatusChange, PartyGroup, RollExport, Transfer
from notifications.services import notify


def _require_keeper(by: Any, organization: Organization) -> None:
    if not access.keeps_roll(by, organization):
        raise PermissionDenied


def _cleaned(organization: Organization, fields: MemberFields, *, member: Member | None = None) -> dict[str, Any]:
    """The fields as they are stored, or a DomainError naming the first that is wrong."""
    name = clean_text(fields.name, field=_("姓名"), max_length=64)
    if fields.gender not in Member.Gender.values:
        raise DomainError(_("请选择性别。"))
    if fields.category not in Member.Category.values:
        raise DomainError(_("请选择党员类别。"))
    if fields.joined_on is None:
        raise DomainError(_("请填写%(field)s。") % {"field": _("入党日期")})
    if fields.joined_on > timezone.localdate():
        raise DomainError(_("入党日期不能晚于今天。"))
    due = fields.full_membership_due
    if fields.category == Member.Category.PROBATIONARY and due is None:
        raise DomainError(_("预备党员须填写预计转正日期。"))
    if due is not None and due <= fields.joined_on:
        raise DomainError(_("预计转正日期须晚于入党日期。"))
    id_number = rules.clean_id_number(fields.id_number)
    if id_number:
        others = Member.objects.current().filter(id_number=id_number)
        if member is not None:
            others = others.exclude(pk=member.pk)
        if others.exists():
            raise DomainError(_("已有在册党员使用该身份证号。"))
    birth_date = fields.birth_date or (rules.id_birth_date(id_number) if id_number else None)
    group = fields.party_group
    if group is not None and group.organization_id != organization.pk:
        raise DomainError(_("所选党小组不属于本组织。"))
    return {
        "name": name,
        "gender": fields.gender,
        "joined_on": fields.joined_on,
        "category": fields.category,
        "full_membership_due": due,
        "ethnicity": (fields.ethnicity or "").strip()[:16],
        "birth_date": birth_date,
        "education": (fields.education or "").strip()[:32],
        "id_number": id_number,
        "party_group": group,
        "occupation": (fields.occupation or "").strip()[:64],
        "phone": (fields.phone or "").strip()[:32],
        "arrived_on": fields.arrived_on,
    }


def _saved(member: Member) -> Member:
    # The database is the last word on the unique ID number when two requests race.
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as clash:
        raise DomainError(_("已有在册党员使用该身份证号。")) from clash
    return member


@transaction.atomic
def member_add(*, organization: Organization, by: Any, fields: MemberFields, person: Any = None) -> Member:
    """Adds a member to the organization's roll."""
    _require_keeper(by, organization)
    if not organization.is_active:
        raise DomainError(_("该党组织已撤销，不能添加党员。"))
    return _saved(Member(organization=organization, person=person, **_cleaned(organization, fields)))


@transaction.atomic
def member_update(*, member: Member, by: Any, fields: MemberFields) -> Member:
    """Corrects a member's entry (their status and transfers have their own services)."""
    _require_keeper(by, member.organization)
    if not member.is_current:
        raise DomainError(_("该党员已转出，不能修改。"))
    for name, value in _cleaned(member.organization, fields, member=member).items():
        setattr(member, name, value)
    return _saved(member)


@transaction.atomic
def member_status_change(
    *, member: Member, by: Any, status: str, on: date, note: str = "", migrant: MigrantDetails | None = None
) -> MemberStatusChange:
    """Changes a member's status and records the change in their status history."""
    _require_keeper(by, member.organization)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if not member.is_current:
        raise DomainError(_("该党员已转出，不能变更状态。"))
    if status not in Member.Status.values:
        raise DomainError(_("请选择状态。"))
    if on is None:
        raise DomainError(_("请填写%(field)s。") % {"field": _("变更日期")})
    if on < member.joined_on:
        raise DomainError(_("变更日期不能早于入党日期。"))
    migrant = migrant or MigrantDetails()
    if status == Member.Status.MIGRANT:
        where = clean_text(migrant.where, field=_("流入地"), max_length=128)
        if migrant.since is None:
            raise DomainError(_("请填写%(field)s。") % {"field": _("外出日期")})
        member.migrant_where, member.migrant_since = where, migrant.since
        member.migrant_contact = (migrant.contact or "").strip()[:64]
        member.migrant_certificate = (migrant.certificate or "").strip()[:32]
    elif status == member.status:
        raise DomainError(_("状态没有变化。"))
    else:
        # The details of a trip that ended stay in the history's note and the audit trail, not on the entry.
        member.migrant_where, member.migrant_since, member.migrant_contact, member.migrant_certificate = (
            "",
            None,
            "",
            "",
        )
    change = MemberStatusChange.objects.create(
        member=member,
        from_status=member.status,
        to_status=status,
        on=on,
        note=(note or "").strip()[:500],
        by=by,
    )
    member.status = status
    member.save()
    return change


def _check_transfer_date(member: Member, on: date) -> None:
    if on is None:
        raise DomainError(_("请填写%(field)s。") % {"field": _("转接日期")})
    if on < member.joined_on or (member.arrived_on is not None and on < member.arrived_on):
        raise DomainError(_("转接日期不能早于入党日期或转入日期。"))
    if on > timezone.localdate():
        raise DomainError(_("转接日期不能晚于今天。"))


@transaction.atomic
def member_transfer_out(
    *, member: Member, by: Any, on: date, to_code: str = "", to_text: str = "", note: str = ""
) -> Transfer:
    """转出: to an organization in the product by its code (the member moves with their history), or to one
    outside it by name (the entry leaves the roll)."""
    _require_keeper(by, member.organization)
    member = Member.objects.select_for_update().select_related("organization").get(pk=member.pk)
    if not member.is_current:
        raise DomainError(_("该党员已转出。"))
    _check_transfer_date(member, on)
    to_code, to_text = (to_code or "").strip(), (to_text or "").strip()
    if bool(to_code) == bool(to_text):
        raise DomainError(_("请填写转入的本系统党组织代码，或系统外党组织名称（二选一）。"))
    source = member.organization
    target = None
    if to_code:
        target = Organization.objects.filter(code=to_code, is_active=True).first()
        if target is None:
            raise DomainError(_("没有组织代码为 %(code)s 的组织。") % {"code": to_code})
        if target.pk == source.pk:
            raise DomainError(_("不能转入本组织。"))
    else:
        to_text = clean_text(to_text, field=_("转入组织"), max_length=128)
    transfer = Transfer.objects.create(
        member=member,
        kind=Transfer.Kind.OUT,
        from_organization=source,
        to_organization=target,
        to_text=to_text,
        on=on,
        note=(note or "").strip()[:500],
        by=by,
    )
    PartyGroup.objects.filter(leader=member).update(leader=None)
    member.party_group = None
    if target is not None:
        member.organization, member.arrived_on = target, on
    else:
        member.left_on, member.left_to = on, to_text
    member.save()
    if target is not None:
        _tell_receiving_branch(member, source, target)
    return transfer


def _tell_receiving_branch(member: Member, source: Organization, target: Organization) -> None:
    """The receiving branch's secretary learns that a member arrived on their roll, with a link to the entry."""
    secretary = Position.objects.secretary_of(target)
    if secretary is None:
        return
    notify(
        recipient=secretary,
        kind="member_transferred_in",
        key="member_transferred_in",
        params={"name": member.name, "source": source.name},
        url=reverse("member_detail", args=[member.pk]),
    )


@transaction.atomic
def member_transfer_in(
    *, organization: Organization, by: Any, on: date, from_text: str, fields: MemberFields, note: str = ""
) -> Member:
    """转入 from an organization outside the product: a new entry on the roll with its transfer recorded."""
    source = clean_text(from_text, field=_("转出组织"), max_length=128)
    if on is None or on > timezone.localdate():
        raise DomainError(_("转接日期不能晚于今天。") if on else _("请填写%(field)s。") % {"field": _("转接日期")})
    member = member_add(organization=organization, by=by, fields=replace(fields, arrived_on=on))
    if on < member.joined_on:
        raise DomainError(_("转接日期不能早于入党日期或转入日期。"))
    Transfer.objects.create(
        member=member,
        kind=Transfer.Kind.IN,
        from_text=source,
        to_organization=organization,
        on=on,
        note=(note or "").strip()[:500],
        by=by,
    )
    return member


@transaction.atomic
def member_login_create(*, member: Member, by: Any, username: str) -> User:
    """Gives a login-less member a login, only when they need one (to read their own entry, to sign in to
    meetings later). It has no password until an administrator sets one, which the member then changes."""
    _require_keeper(by, member.organization)
    if member.person_id is not None:
        raise DomainError(_("该党员已有登录账号。"))
    if not member.is_current:
        raise DomainError(_("该党员已转出，不能修改。"))
    username = clean_text(username, field=_("登录名"), max_length=150)
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError as invalid:
        raise DomainError(" ".join(invalid.messages)) from invalid
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("登录名“%(username)s”已被使用。") % {"username": username})
    person = User(username=username, full_name=member.name, phone=member.phone, must_change_password=True)
    person.set_unusable_password()
    person.save()
    member.person = person
    member.save(update_fields=["person"])
    return person


def _group_fields(organization: Organization, name: str, leader: Member | None, group: PartyGroup | None) -> str:
    name = clean_text(name, field=_("党小组名称"), max_length=64)
    clash = PartyGroup.objects.filter(organization=organization, name=name)
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise DomainError(_("本组织已有同名党小组。"))
    if leader is not None and (leader.organization_id != organization.pk or not leader.is_current):
        raise DomainError(_("组长须是本组织在册党员。"))
    return name


@transaction.atomic
def group_add(
    *, organization: Organization, by: Any, name: str, leader: Member | None = None, order: int = 0
) -> PartyGroup:
    """Adds a party group (党小组) to the organization."""
    _require_keeper(by, organization)
    name = _group_fields(organization, name, leader, None)
    return PartyGroup.objects.create(organization=organization, name=name, leader=leader, order=max(order, 0))


@transaction.atomic
def group_update(*, group: PartyGroup, by: Any, name: str, leader: Member | None, order: int = 0) -> PartyGroup:
    """Renames a party group or changes its leader or place."""
    _require_keeper(by, group.organization)
    group.name = _group_fields(group.organization, name, leader, group)
    group.leader, group.order = leader, max(order, 0)
    group.save()
    return group


@transaction.atomic
def roll_export(*, organization: Organization, by: Any) -> IO[bytes]:
    """The roll as a workbook; the export of personal data is recorded for the audit page."""
    if not access.reads_roll(by, organization):
        raise PermissionDenied
    members = list(exports.roll_rows(organization))
    RollExport.objects.create(organization=organization, by=by, rows=len(members))
    return exports.roll_workbook(organization, members)


@transaction.atomic
def roll_import(*, organization: Organization, by: Any, filename: str, content: bytes) -> int:
    """Adds the members of an uploaded roll, all or nothing; returns how many were added. Every bad row is
    reported with its row number (ImportRejected) and nothing is written."""
    _require_keeper(by, organization)
    if not organization.is_active:
        raise DomainError(_("该党组织已撤销，不能添加党员。"))
    sheet, rows = importing.read_roll(organization, filename, content)
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    members: list[Member] = []
    for number, fields in rows:
        try:
            cleaned = _cleaned(organization, fields)
        except DomainError as refused:
            errors.append(RowError(sheet, number, str(refused)))
            continue
        id_number = cleaned["id_number"]
        if id_number and id_number in seen:
            errors.append(RowError(sheet, number, _("身份证号与第 %(row)d 行重复。") % {"row": seen[id_number]}))
            continue
        seen.setdefault(id_number, number)
        members.append(Member(organization=organization, **cleaned))
    if errors:
        raise ImportRejected(errors)
    if not members:
        raise DomainError(_("文件中没有可导入的数据。"))
    for member in members:
        _saved(member)
    return len(members)
