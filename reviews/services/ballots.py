"""民主测评: ballot codes, casting a ballot, and counting them once a batch or the window allows (reviews.ballot_box
keeps the secrecy)."""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history

from accounts import permissions
from accounts.models import Organization, Position, User
from foundation.errors import DomainError, clean_text
from members import selectors as member_selectors
from reviews import ballot_box
from reviews.models import (
    BallotBatch,
    BallotCode,
    BallotTally,
    Cycle,
    PendingBallot,
    Rating,
    SpentCode,
)
from reviews.services.base import CycleStatus

BALLOT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off paper
BALLOT_CODE_LENGTH = 10
MAX_CODES_PER_BATCH = 500


# 民主测评 --------------------------------------------------------------------
#
# What the database keeps of a vote, and what it never does, is reviews.ballot_box's to say;
# docs/architecture.md ("Ballot secrecy") lists what each observer can and cannot learn.

# The optional aspects of a ballot (分项评价); the stored key is the Chinese word, whatever the voter's language.
BALLOT_ASPECT_LABELS = (
    gettext_noop("政治建设"),
    gettext_noop("履职尽责"),
    gettext_noop("作风形象"),
    gettext_noop("联系群众"),
)
MIN_BALLOTS_FLOOR = 3
"""Fewer would publish, or add to the counts, a ballot or two that anyone could tell apart."""


def _check_keeps_cycle(cycle: Cycle, by: User) -> None:
    """The cycle's committee (or an administrator) keeps its codes; anyone else is refused, whoever calls."""
    if not permissions.can(by, permissions.Action.MANAGE, cycle.organization):
        raise DomainError(_("只有组织本次考核的党组织可以办理测评码。"))


def _new_code() -> str:
    return "".join(secrets.choice(BALLOT_CODE_ALPHABET) for _ in range(BALLOT_CODE_LENGTH))


def members_on_record(organization: Organization) -> int:
    """The organization's members on record: its roll (党员名册) when it keeps one, suspended members left out;
    otherwise the people who hold a current position there."""
    on_roll = member_selectors.on_record([organization.pk]).get(organization.pk)
    if on_roll:
        return on_roll
    return Position.objects.current().filter(organization=organization).values("person").distinct().count()


@transaction.atomic
def ballot_codes_generate(
    *, cycle: Cycle, organization: Organization, count: Any, by: User, reason: str = ""
) -> list[BallotCode]:
    """Makes COUNT one-time codes for an organization's members; more codes than members need a reason, kept."""
    _check_keeps_cycle(cycle, by)
    if cycle.is_closed:
        raise DomainError(_("考核已结束。"))
    if not cycle.reports.filter(organization=organization).exists():
        raise DomainError(_("%(org)s 不在本次考核范围内。") % {"org": organization.name})
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise DomainError(_("测评码数量须在 1 到 %(max)s 之间。") % {"max": MAX_CODES_PER_BATCH})
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise DomainError(_("%(field)s不能超过 %(max)s 个字。") % {"field": _("理由"), "max": 500})
    members = members_on_record(organization)
    issued = cycle.ballot_codes.filter(organization=organization, voided_at__isnull=True).count()
    if issued + count > members and not reason:
        raise DomainError(
            _(
                "%(org)s 在册党员 %(members)s 人，已发放有效测评码 %(issued)s 个，再生成 %(count)s 个将超过在册人数。"
                "如确需多发（例如列席测评的群众代表），请填写理由。"
            )
            % {"org": organization.name, "members": members, "issued": issued, "count": count}
        )
    number = (cycle.ballot_codes.filter(organization=organization).aggregate(last=Max("batch"))["last"] or 0) + 1
    batch = BallotBatch(
        cycle=cycle,
        organization=organization,
        number=number,
        count=count,
        reason=reason if issued + count > members else "",
        created_by=by,
    )
    batch._history_user = by  # type: ignore[attr-defined]  # the actor, also when no request is behind the call
    batch.save()
    # The tally exists before the first vote: adding a batch of votes locks it, so two never add at once.
    BallotTally.objects.get_or_create(cycle=cycle, organization=organization)
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(_new_code())
    taken = set(BallotCode.objects.filter(code__in=codes).values_list("code", flat=True))
    while taken:
        codes -= taken
        while len(codes) < count:
            codes.add(_new_code())
        taken = set(BallotCode.objects.filter(code__in=codes).values_list("code", flat=True))
    # Shuffled, not sorted: the rows' order then says nothing about a slip's place on the printed sheet.
    shuffled = list(codes)
    secrets.SystemRandom().shuffle(shuffled)
    # With their history rows, so that a later voiding shows in the audit trail as a change.
    return bulk_create_with_history(
        [BallotCode(cycle=cycle, organization=organization, code=code, batch=number) for code in shuffled],
        BallotCode,
        default_user=by,
    )


def normalize_code(code: str) -> str:
    return "".join((code or "").split()).upper()


@transaction.atomic
def ballot_code_void(*, cycle: Cycle, code: str, reason: str, by: User) -> BallotCode:
    """Voids a code (a slip lost or handed out in error): it can no longer vote. A vote it already cast stays
    counted, and nobody can tell whether it had: nothing ties a vote to its code."""
    _check_keeps_cycle(cycle, by)
    if Cycle.objects.get(pk=cycle.pk).is_closed:
        raise DomainError(_("考核已结束。"))
    reason = clean_text(reason, field=_("作废理由"), max_length=500)
    ballot_code = cycle.ballot_codes.filter(code=normalize_code(code)).first()
    if ballot_code is None:
        raise DomainError(_("本次考核没有这个测评码，请核对后重新输入。"))
    if ballot_code.is_void:
        raise DomainError(_("该测评码已作废。"))
    ballot_code.voided_at = timezone.now()
    ballot_code.voided_by = by
    ballot_code.void_reason = reason
    ballot_code._history_user = by  # type: ignore[attr-defined]
    ballot_code.save(update_fields=["voided_at", "voided_by", "void_reason"])
    return ballot_code


@transaction.atomic
def ballot_batch_printed(*, cycle: Cycle, organization_id: int, number: int, by: User) -> BallotBatch:
    """Records that a batch's slips were opened for printing (the audit trail keeps who and when)."""
    _check_keeps_cycle(cycle, by)
    batch = BallotBatch.objects.select_for_update().filter(cycle=cycle, organization_id=organization_id, number=number)
    locked = batch.first()
    if locked is None:
        raise DomainError(_("没有这批测评码。"))
    locked.printed_count += 1
    locked.last_printed_at = timezone.now()
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["printed_count", "last_printed_at"])
    return locked


def ballot_window_refusal(cycle: Cycle, today: date) -> str:
    """Why no vote can be cast in the cycle today, in plain words; '' while the window is open."""
    if cycle.is_closed:
        return _("本次考核已结束，民主测评已关闭，不能再投票。")
    if today > cycle.ballot_closes:
        return _("民主测评已于 %(end)s 结束，不能再投票。") % {"end": cycle.ballot_closes.isoformat()}
    if cycle.status != CycleStatus.OPEN or today < cycle.ballot_opens:
        return _("民主测评尚未开始，开始日期为 %(start)s。") % {"start": cycle.ballot_opens.isoformat()}
    return ""


def ballot_window_closed(cycle: Cycle, today: date | None = None) -> bool:
    """Whether no more votes can come: the cycle closed or the window's last day passed."""
    return cycle.is_closed or (today or timezone.localdate()) > cycle.ballot_closes


def _checked_vote(rating: str, item_ratings: Mapping[str, str] | None) -> ballot_box.Vote:
    if rating not in Rating.values:
        raise DomainError(_("请选择评价：好、较好、一般或差。"))
    items = {str(label): value for label, value in (item_ratings or {}).items() if value}
    if any(label not in BALLOT_ASPECT_LABELS for label in items) or any(
        value not in Rating.values for value in items.values()
    ):
        raise DomainError(_("分项评价无效。"))
    return ballot_box.Vote(rating=rating, items=items)


def _code_used() -> DomainError:
    return DomainError(_("该测评码已使用过，每个测评码只能投票一次。"))


@transaction.atomic
def ballot_cast(
    *, code: str, rating: str, item_ratings: Mapping[str, str] | None = None, today: date | None = None
) -> None:
    """Casts one anonymous ballot with a one-time code.

    The code is remembered as spent by a keyed digest alone and the vote is sealed until its organization
    has a batch of them; the code's own row is only read, never written or locked (reviews.ballot_box).
    """
    today = today or timezone.localdate()
    vote = _checked_vote(rating, item_ratings)
    normalized = normalize_code(code)
    ballot_code = BallotCode.objects.filter(code=normalized).only("cycle_id", "organization_id", "voided_at").first()
    if ballot_code is None:
        raise DomainError(_("测评码无效，请核对后重新输入。"))
    # The cycle row is locked, not the code's: closing takes the same lock, so no vote slips in after it.
    cycle = Cycle.objects.select_for_update().get(pk=ballot_code.cycle_id)
    if ballot_code.is_void:
        raise DomainError(_("该测评码已作废，不能投票。请向发放测评票的同志咨询。"))
    refusal = ballot_window_refusal(cycle, today)
    if refusal:
        raise DomainError(refusal)
    digests = ballot_box.spent_digests(normalized)
    if SpentCode.objects.filter(digest__in=digests).exists():
        raise _code_used()
    try:
        with transaction.atomic():
            SpentCode.objects.create(cycle=cycle, organization_id=ballot_code.organization_id, digest=digests[0])
    except IntegrityError:
        raise _code_used() from None
    PendingBallot.objects.create(
        cycle=cycle,
        organization_id=ballot_code.organization_id,
        sealed=ballot_box.seal(vote, cycle_id=cycle.pk, organization_id=ballot_code.organization_id),
    )
    waiting = PendingBallot.objects.filter(cycle=cycle, organization_id=ballot_code.organization_id).count()
    if waiting >= max(cycle.min_ballots, MIN_BALLOTS_FLOOR):
        _count_waiting(cycle, ballot_code.organization_id)


def _add(counts: Counter[str], items: dict[str, dict[str, int]], vote: ballot_box.Vote) -> None:
    counts[vote.rating] += 1
    for label, value in vote.items.items():
        aspect = items.setdefault(label, {})
        aspect[value] = aspect.get(value, 0) + 1


def _merged(
    first: Mapping[str, Mapping[str, int]], second: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, int]]:
    """Two sets of aspect counts ({aspect: {rating: count}}) added together."""
    merged = {label: dict(ratings) for label, ratings in first.items()}
    for label, ratings in second.items():
        aspect = merged.setdefault(label, {})
        for value, count in ratings.items():
            aspect[value] = aspect.get(value, 0) + count
    return merged


def _open_boxes(cycle_id: int, organization_id: int, boxes: Iterable[bytes]) -> tuple[Counter[str], dict[str, Any]]:
    counts: Counter[str] = Counter()
    items: dict[str, dict[str, int]] = {}
    for box in boxes:
        _add(counts, items, ballot_box.unseal(box, cycle_id=cycle_id, organization_id=organization_id))
    return counts, items


def _count_waiting(cycle: Cycle, organization_id: int) -> int:
    """Opens the organization's waiting boxes, adds them to its tally and deletes them, all in one transaction."""
    tally, _created = BallotTally.objects.get_or_create(cycle=cycle, organization_id=organization_id)
    tally = BallotTally.objects.select_for_update().get(pk=tally.pk)
    waiting = list(
        PendingBallot.objects.select_for_update()
        .filter(cycle=cycle, organization_id=organization_id)
        .values_list("pk", "sealed")
    )
    if not waiting:
        return 0
    counts, items = _open_boxes(cycle.pk, organization_id, (bytes(box) for _pk, box in waiting))
    for value in Rating.values:
        setattr(tally, value, getattr(tally, value) + counts.get(value, 0))
    tally.items = _merged(tally.items, items)
    tally.save(update_fields=[*Rating.values, "items"])
    PendingBallot.objects.filter(pk__in=[pk for pk, _box in waiting]).delete()
    return len(waiting)


@transaction.atomic
def ballots_count(*, cycle: Cycle) -> int:
    """Adds every vote still waiting to the tallies; done when the window has closed (beat, and at closing)."""
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if not ballot_window_closed(locked):
        raise DomainError(_("民主测评尚未结束，测评票按批计入。"))
    return _count_all_waiting(locked)


def _count_all_waiting(cycle: Cycle) -> int:
    organizations = set(PendingBallot.objects.filter(cycle=cycle).values_list("organization_id", flat=True))
    return sum(_count_waiting(cycle, organization_id) for organization_id in sorted(organizations))


@dataclass(frozen=True)
class BallotCounts:
    """One organization's 民主测评 figures, which only a closed window may show (see ballots_published)."""

    counts: Counter[str]
    items: dict[str, dict[str, int]]

    @property
    def valid(self) -> int:
        return sum(self.counts.values())

    @property
    def poor(self) -> int:
        return self.counts.get(Rating.POOR, 0)


def ballot_counts(cycle: Cycle, organization_ids: Iterable[int] | None = None) -> dict[int, BallotCounts]:
    """Per organization: every vote cast, the waiting ones included. Only for a closed window (two queries)."""
    if not ballot_window_closed(cycle):
        raise DomainError(_("民主测评尚未结束，票数不能查看。"))
    tallies = BallotTally.objects.filter(cycle=cycle)
    waiting = PendingBallot.objects.filter(cycle=cycle)
    if organization_ids is not None:
        wanted = list(organization_ids)
        tallies = tallies.filter(organization_id__in=wanted)
        waiting = waiting.filter(organization_id__in=wanted)
    result: dict[int, BallotCounts] = {}
    for tally in tallies:
        result[tally.organization_id] = BallotCounts(Counter(tally.counts()), tally.items)
    boxes: dict[int, list[bytes]] = defaultdict(list)
    for organization_id, box in waiting.values_list("organization_id", "sealed"):
        boxes[organization_id].append(bytes(box))
    for organization_id, sealed in boxes.items():
        counts, items = _open_boxes(cycle.pk, organization_id, sealed)
        known = result.get(organization_id, BallotCounts(Counter(), {}))
        result[organization_id] = BallotCounts(known.counts + counts, _merged(known.items, items))
    return result


def ballots_published(cycle: Cycle, counts: BallotCounts | None) -> bool:
    """Whether an organization's 民主测评 is published: the window has closed and it has the cycle's minimum."""
    return counts is not None and ballot_window_closed(cycle) and counts.valid >= cycle.min_ballots
