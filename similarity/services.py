"""Keeping signatures and pairs fresh as texts are saved, and the committee's standard text.

`text_saved` is what a domain calls from the service that saves a text, inside its transaction: the
text's signature is computed once (an unchanged text costs one query), compared with its candidates, and
its pairs are written. Candidates are the organization's own texts of the kind (any year: a record is
compared with the month before, a report with last year's) and, for kinds compared across organizations,
the texts of the same year that share an LSH bucket with it. Only a few candidates are confirmed by
aligning sentences, so one save costs the same in a branch and in a province.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Organization, User
from foundation.errors import DomainError, clean_text
from foundation.queue import queue_or_leave
from similarity import kinds, text
from similarity.models import SignatureBand, StandardText, TextPair, TextSignature

logger = logging.getLogger(__name__)

PAIR_SHARE = 50
"""A pair is kept when one text holds at least this share of the other; pages flag from `FLAG_SHARE`."""
FLAG_SHARE = 60
"""Near-copies: the threshold measured on tests/data/similarity_pairs.json (docs/benchmarks.md)."""
CANDIDATE_JACCARD = 0.15
"""Estimated shingle overlap from which a candidate is confirmed by aligning sentences."""
CONFIRMED_PER_SAVE = 8
"""How many of the likeliest candidates one save confirms."""
OWN_TEXTS_READ = 2000
"""How many of the organization's own texts of a kind (the latest) one save compares with."""
BUCKET_ROWS_READ = 400
"""How many bucket rows one save reads: a formula thousands wrote still costs one bounded read."""


def standard_passages(organization: Organization, kind: str) -> list[str]:
    """The standard text in force for ORGANIZATION's texts of KIND: set by it or any committee above it."""
    paths = [*organization.ancestor_paths(), organization.path]
    return list(
        StandardText.objects.filter(organization__path__in=paths)
        .filter(Q(kind=kind) | Q(kind=""))
        .values_list("text", flat=True)
    )


@dataclass(frozen=True)
class _Candidate:
    signature_id: int
    likeness: float


def _own_candidates(signature: TextSignature) -> list[_Candidate]:
    rows = list(
        TextSignature.objects.filter(organization_id=signature.organization_id, kind=signature.kind)
        .exclude(pk=signature.pk)
        .order_by("-year", "-id")
        .values_list("id", "hashvalues")[:OWN_TEXTS_READ]
    )
    return _likely(signature, rows)


def _bucket_candidates(signature: TextSignature, keys: Sequence[int]) -> list[_Candidate]:
    ids = set(
        SignatureBand.objects.filter(kind=signature.kind, year=signature.year, key__in=keys)
        .exclude(signature_id=signature.pk)
        .values_list("signature_id", flat=True)[:BUCKET_ROWS_READ]
    )
    if not ids:
        return []
    rows = list(
        TextSignature.objects.filter(pk__in=ids)
        .exclude(organization_id=signature.organization_id)
        .values_list("id", "hashvalues")
    )
    return _likely(signature, rows)


def _likely(signature: TextSignature, rows: Sequence[tuple[int, bytes | memoryview]]) -> list[_Candidate]:
    if not rows:
        return []
    estimates = text.estimate(bytes(signature.hashvalues), [bytes(raw) for _, raw in rows])
    found = [
        _Candidate(pk, float(likeness))
        for (pk, _raw), likeness in zip(rows, estimates, strict=True)
        if likeness >= CANDIDATE_JACCARD
    ]
    return sorted(found, key=lambda candidate: -candidate.likeness)[:CONFIRMED_PER_SAVE]


def _later(one: TextSignature, other: TextSignature) -> bool:
    return (one.year, one.pk) > (other.year, other.pk)


def _pair(signature: TextSignature, other: TextSignature, standard: Sequence[str]) -> TextPair | None:
    """The pair of two texts if one holds at least PAIR_SHARE of the other; the later text comes first."""
    later, earlier = (signature, other) if _later(signature, other) else (other, signature)
    later_share = text.compare(later.text, earlier.text, standard).share
    earlier_share = text.compare(earlier.text, later.text, standard).share
    share = max(later_share, earlier_share)
    if share < PAIR_SHARE:
        return None
    return TextPair(
        kind=later.kind,
        year=later.year,
        text=later,
        other=earlier,
        organization_id=later.organization_id,
        other_organization_id=earlier.organization_id,
        other_year=earlier.year,
        text_share=later_share,
        other_share=earlier_share,
        share=share,
    )


def _write_bands(signature: TextSignature, keys: Sequence[int]) -> None:
    SignatureBand.objects.filter(signature=signature).delete()
    SignatureBand.objects.bulk_create(
        SignatureBand(signature=signature, kind=signature.kind, year=signature.year, key=key) for key in keys
    )


@transaction.atomic
def text_saved(
    *,
    kind: str,
    object_id: int,
    organization: Organization,
    year: int,
    content: str,
    headings: Sequence[str] = (),
) -> TextSignature | None:
    """Keeps the signature and the pairs of one text up to date after it was saved; None when it has nothing
    to compare (empty, or only HEADINGS and standard text). HEADINGS are passages the text's own form puts
    in it (a report's section titles): they are part of the text shown, never of what is counted."""
    text_kind = kinds.get(kind)
    if text_kind is None:
        raise ValueError(f"unregistered kind of text: {kind}")
    standard = [*standard_passages(organization, kind), *headings]
    plain = text.plain(content)
    computed = text.signature(plain, standard)
    existing = TextSignature.objects.filter(kind=kind, object_id=object_id).first()
    if existing is not None and (existing.digest, existing.organization_id, existing.year, existing.headings) == (
        computed.digest,
        organization.pk,
        year,
        list(headings),
    ):
        if existing.text != plain:
            existing.text = plain
            existing.save(update_fields=["text", "updated_at"])
        return existing
    if computed.is_empty:
        if existing is not None:
            existing.delete()
        return None
    signature = existing or TextSignature(kind=kind, object_id=object_id)
    signature.organization = organization
    signature.year = year
    signature.text = plain
    signature.headings = list(headings)
    signature.hashvalues = computed.hashvalues
    signature.length = computed.length
    signature.digest = computed.digest
    signature.save()
    keys = text.band_keys(computed.hashvalues)
    if text_kind.across_organizations:
        _write_bands(signature, keys)
    _refresh_pairs(signature, keys if text_kind.across_organizations else (), standard)
    return signature


def _refresh_pairs(signature: TextSignature, keys: Sequence[int], standard: Sequence[str]) -> None:
    TextPair.objects.filter(Q(text=signature) | Q(other=signature)).delete()
    candidates = {candidate.signature_id for candidate in _own_candidates(signature)}
    if keys:
        candidates |= {candidate.signature_id for candidate in _bucket_candidates(signature, keys)}
    if not candidates:
        return
    others = TextSignature.objects.filter(pk__in=candidates)
    pairs = [pair for other in others if (pair := _pair(signature, other, [*standard, *other.headings])) is not None]
    TextPair.objects.bulk_create(pairs)


def texts_recompute(*, organization: Organization, kind: str = "") -> int:
    """Compares again every stored text of KIND ('' for every kind) in ORGANIZATION's subtree, from the words
    kept with its signature (after a change of standard text); returns how many changed. One text a
    transaction, so a long run never holds the tables."""
    signatures = TextSignature.objects.filter(organization__path__startswith=organization.path)
    if kind:
        signatures = signatures.filter(kind=kind)
    changed = 0
    for signature in signatures.select_related("organization").order_by("pk").iterator(chunk_size=500):
        with transaction.atomic():
            before = signature.digest
            saved = text_saved(
                kind=signature.kind,
                object_id=signature.object_id,
                organization=signature.organization,
                year=signature.year,
                content=signature.text,
                headings=signature.headings,
            )
            changed += saved is None or saved.digest != before
    return changed


@transaction.atomic
def text_removed(*, kind: str, object_id: int) -> None:
    """Forgets a deleted text: its signature, buckets and pairs."""
    TextSignature.objects.filter(kind=kind, object_id=object_id).delete()


# 规范表述 --------------------------------------------------------------------


def _check_committee(by: User, organization: Organization) -> None:
    if not (permissions.can(by, permissions.Action.SUPERVISE, organization) or _leads(by, organization)):
        raise DomainError(_("只有上级党组织可以设定规范表述。"))


def _leads(by: User, organization: Organization) -> bool:
    """A committee sets standard text for its own subtree: it supervises what lies below it."""
    scope = permissions.scope_for(by)
    return organization.path in {*scope.supervise_roots, *scope.grant_roots}


MAX_STANDARD = 2000


@transaction.atomic
def standard_text_add(*, organization: Organization, kind: str, passage: str, by: User) -> StandardText:
    """Marks PASSAGE as standard text for KIND ('' for every kind) in ORGANIZATION's subtree; the texts it
    touches are compared again in the background."""
    _check_committee(by, organization)
    if kind and kinds.get(kind) is None:
        raise DomainError(_("请选择适用的文本类型。"))
    passage = clean_text(passage, field=_("规范表述"), max_length=MAX_STANDARD)
    if not any(len(sentence.key) >= text.MIN_SENTENCE for sentence in text.sentences(text.plain(passage))):
        raise DomainError(_("规范表述至少要有一句 %(min)s 个字以上的话。") % {"min": text.MIN_SENTENCE})
    standard = StandardText.objects.create(organization=organization, kind=kind, text=passage, created_by=by)
    _queue_refresh(organization, kind)
    return standard


@transaction.atomic
def standard_text_remove(*, standard: StandardText, by: User) -> None:
    """The passage counts again from now on; the texts it touched are compared again in the background."""
    _check_committee(by, standard.organization)
    organization, kind = standard.organization, standard.kind
    standard.delete()
    _queue_refresh(organization, kind)


def _queue_refresh(organization: Organization, kind: str) -> None:
    transaction.on_commit(
        lambda: queue_or_leave(
            "similarity.refresh_subtree",
            organization.pk,
            kind,
            logger=logger,
            message="could not queue the recomputation of texts after a change of standard text",
        )
    )
