"""Reads of near-copied texts that pages and exports share: a text's likenesses, a committee's pairs, one
pair side by side. Each reads stored pairs, never the texts of a province."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Organization
from similarity import kinds, text
from similarity.models import StandardText, TextPair, TextSignature
from similarity.services import FLAG_SHARE, standard_passages

SHOWN_PER_TEXT = 3
"""How many near-copies a text's page names (the likeliest first); the committee's page has them all."""


@dataclass(frozen=True)
class Likeness:
    """One near-copy of a text, as its page says it: "与 2025 年本支部述职报告相似 93%"."""

    pair_id: int
    share: int
    """How much of this text the other holds (0–100)."""
    kind_label: str
    other_year: int
    other_organization: Organization
    same_organization: bool
    same_year: bool
    other_excerpt: str
    other_url: str

    @property
    def compare_url(self) -> str:
        return reverse("similar_pair", args=[self.pair_id])

    @property
    def return_reason(self) -> str:
        """The reason a reviewer sends back with a repeated text, prefilled for a one-tap 驳回."""
        return _(
            "内容与%(where)s“%(excerpt)s”重复（相似 %(share)s%%）。请写明这一次具体做了什么、有哪些人参加、"
            "取得了什么结果，补充后重新提交。"
        ) % {
            "where": _("本组织另一份%(label)s") % {"label": self.kind_label}
            if self.same_organization
            else self.other_organization.name,
            "excerpt": self.other_excerpt[:30],
            "share": self.share,
        }

    @property
    def sentence(self) -> str:
        params = {
            "year": self.other_year,
            "label": self.kind_label,
            "share": self.share,
            "organization": self.other_organization.name,
        }
        if self.same_organization and self.same_year:
            return _("与本组织今年另一份%(label)s相似 %(share)s%%") % params
        if self.same_organization:
            return _("与 %(year)s 年本组织%(label)s相似 %(share)s%%") % params
        if self.same_year:
            return _("与%(organization)s今年%(label)s相似 %(share)s%%") % params
        return _("与%(organization)s %(year)s 年%(label)s相似 %(share)s%%") % params


def _visible_pairs(user: Any) -> QuerySet[TextPair]:
    """Pairs whose two texts the user may both read: a page never names a text its reader cannot open."""
    return TextPair.objects.filter(permissions.visible_q(user, "organization__")).filter(
        permissions.visible_q(user, "other_organization__")
    )


def likenesses(user: Any, kind: str | Sequence[str], object_ids: Iterable[int]) -> dict[int, list[Likeness]]:
    """The near-copies of each text of KIND (or of any of several kinds of one object, such as a task's
    measures and its completion report) with these ids that USER may see, likeliest first: one query."""
    ids = list(object_ids)
    wanted = [kind] if isinstance(kind, str) else list(kind)
    if not ids or not any(kinds.get(key) for key in wanted):
        return {}
    pairs = (
        _visible_pairs(user)
        .filter(kind__in=wanted)
        .filter(
            Q(text__object_id__in=ids, text_share__gte=FLAG_SHARE)
            | Q(other__object_id__in=ids, other_share__gte=FLAG_SHARE)
        )
        .select_related("text", "other", "organization", "other_organization")
        .order_by("-share", "-id")
    )
    found: dict[int, list[Likeness]] = defaultdict(list)
    for pair in pairs:
        text_kind = kinds.get(pair.kind)
        if text_kind is None:
            continue
        for mine, theirs, share, their_org in (
            (pair.text, pair.other, pair.text_share, pair.other_organization),
            (pair.other, pair.text, pair.other_share, pair.organization),
        ):
            if mine.object_id not in ids or share < FLAG_SHARE or len(found[mine.object_id]) >= SHOWN_PER_TEXT:
                continue
            found[mine.object_id].append(
                Likeness(
                    pair_id=pair.pk,
                    share=share,
                    kind_label=str(text_kind.label),
                    other_year=theirs.year,
                    other_organization=their_org,
                    same_organization=pair.same_organization,
                    same_year=theirs.year == mine.year,
                    other_excerpt=theirs.text[:80],
                    other_url=text_kind.url(theirs.object_id),
                )
            )
    return dict(found)


def committee_pairs(
    user: Any, *, year: int, kind: str = "", organization: Organization | None = None, min_share: int = FLAG_SHARE
) -> QuerySet[TextPair]:
    """The year's near-copies across what USER supervises (both texts inside it), most shared first.

    ORGANIZATION narrows to pairs with a text of its subtree (the drill-down)."""
    pairs = _in_subtree(user, year=year, organization=organization, min_share=min_share)
    if kind:
        pairs = pairs.filter(kind=kind)
    return pairs.select_related("organization", "other_organization", "text", "other").order_by("-share", "-id")


def _in_subtree(user: Any, *, year: int, organization: Organization | None, min_share: int) -> QuerySet[TextPair]:
    pairs = (
        TextPair.objects.filter(year=year, share__gte=min_share)
        .filter(permissions.supervised_q(user, "organization__"))
        .filter(permissions.supervised_q(user, "other_organization__"))
    )
    if organization is not None:
        pairs = pairs.filter(
            Q(organization__path__startswith=organization.path)
            | Q(other_organization__path__startswith=organization.path)
        )
    return pairs


def pair_counts_by_kind(
    user: Any, *, year: int, organization: Organization | None = None, min_share: int = FLAG_SHARE
) -> dict[str, int]:
    """How many of `committee_pairs` there are of each kind, in one aggregate (the page's total is their sum,
    so the year's pairs are counted once)."""
    pairs = _in_subtree(user, year=year, organization=organization, min_share=min_share)
    counted = pairs.order_by().values("kind").annotate(count=Count("id"))
    return {row["kind"]: row["count"] for row in counted}


@dataclass(frozen=True)
class Piece:
    """A run of a text shown side by side: shared with the other text (marked) or not."""

    text: str
    shared: bool
    score: int = 0


@dataclass(frozen=True)
class SideBySide:
    pair: TextPair
    kind_label: str
    left: list[Piece]
    right: list[Piece]
    passages: list[tuple[str, str, int]]
    """The shared passages as (this text's sentence, the other's, how alike), for marking standard text."""
    text_url: str
    other_url: str
    standard: list[str]


def _pieces(plain: str, spans: Sequence[tuple[int, int, int]]) -> list[Piece]:
    pieces: list[Piece] = []
    position = 0
    for start, end, score in sorted(spans):
        if start < position:
            continue
        if start > position:
            pieces.append(Piece(plain[position:start], False))
        pieces.append(Piece(plain[start:end], True, score))
        position = end
    if position < len(plain):
        pieces.append(Piece(plain[position:], False))
    return pieces


def side_by_side(pair: TextPair) -> SideBySide:
    """The two texts of a pair with their shared sentences marked, as compared (standard text left out)."""
    later: TextSignature = pair.text
    earlier: TextSignature = pair.other
    standard = [*standard_passages(pair.organization, pair.kind), *later.headings, *earlier.headings]
    comparison = text.compare(later.text, earlier.text, standard)
    text_kind = kinds.get(pair.kind)
    return SideBySide(
        pair=pair,
        kind_label=str(text_kind.label) if text_kind else pair.kind,
        left=_pieces(later.text, [(p.start, p.end, p.score) for p in comparison.passages]),
        right=_pieces(earlier.text, [(p.other_start, p.other_end, p.score) for p in comparison.passages]),
        passages=[
            (later.text[p.start : p.end], earlier.text[p.other_start : p.other_end], p.score)
            for p in comparison.passages
        ],
        text_url=text_kind.url(later.object_id) if text_kind else "",
        other_url=text_kind.url(earlier.object_id) if text_kind else "",
        standard=standard,
    )


def standard_texts(user: Any) -> QuerySet[StandardText]:
    """The standard text set by the committees USER sees."""
    return (
        StandardText.objects.filter(permissions.visible_q(user, "organization__"))
        .select_related("organization", "created_by")
        .order_by("organization__path", "-created_at")
    )
