"""Comparing texts in bulk: what was loaded without the services that compare on save (the demo, the
generated province, an import, a first installation). `compare_all` is `manage.py compare_texts`.

Texts without a signature get one; texts whose words were seen before reuse the signature computed
for them (a province writes the same formulas thousands of times). Pairs are then found as one save
finds them (the organization's own texts, and for kinds compared across organizations the texts of the
same year sharing a bucket, at most `CONFIRMED_PER_SAVE` candidates each), in memory a kind and a year
at a time (a kind compared within organizations only, `ORGANIZATIONS_PER_PASS` organizations at a time),
and each pair of distinct words is confirmed once.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from foundation.bulk import db_value, insert_rows
from similarity import kinds, text
from similarity.models import SignatureBand, StandardText, TextPair, TextSignature
from similarity.services import BUCKET_ROWS_READ, CANDIDATE_JACCARD, CONFIRMED_PER_SAVE, OWN_TEXTS_READ, PAIR_SHARE

BATCH = 2000
ORGANIZATIONS_PER_PASS = 5000
PAIR_COLUMNS = [
    "kind",
    "year",
    "text_id",
    "other_id",
    "organization_id",
    "other_organization_id",
    "other_year",
    "text_share",
    "other_share",
    "share",
    "found_at",
]


@dataclass
class Summary:
    signed: dict[str, int] = field(default_factory=dict)
    """New signatures per kind."""
    reused: int = 0
    """Signatures taken from an identical text instead of computed."""
    pairs: int = 0

    def __str__(self) -> str:
        signed = "、".join(f"{kind} {count}" for kind, count in self.signed.items()) or "0"
        return (
            f"相似内容：新计算签名 {signed}（其中 {self.reused} 个与已有文本相同，直接复用），"
            f"相似文本 {self.pairs} 对。"
        )


class _Standards:
    """The standard text in force for each organization and kind, read once."""

    def __init__(self) -> None:
        self.by_path: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for path, kind, passage in StandardText.objects.values_list("organization__path", "kind", "text"):
            self.by_path[path].append((kind, passage))
        self.paths: dict[int, str] = {}

    def passages(self, organization_id: int, kind: str) -> list[str]:
        if not self.by_path:
            return []
        path = self.paths.get(organization_id)
        if path is None:
            path = Organization.objects.filter(pk=organization_id).values_list("path", flat=True).first() or ""
            self.paths[organization_id] = path
        step = Organization.steplen
        found: list[str] = []
        for end in range(step, len(path) + 1, step):
            found.extend(passage for own, passage in self.by_path.get(path[:end], []) if own in ("", kind))
        return found


def _key(row: kinds.TextRow, standard: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for part in (row.content, *row.headings, "\x00", *standard):
        digest.update(part.encode())
        digest.update(b"\x01")
    return digest.hexdigest()


def _batches(rows: Iterable[kinds.TextRow]) -> Iterable[list[kinds.TextRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def sign_missing(kind: kinds.TextKind, summary: Summary) -> None:
    """Signatures (and buckets) for the texts of KIND that have none."""
    signed = set(TextSignature.objects.filter(kind=kind.key).values_list("object_id", flat=True))
    standards = _Standards()
    seen: dict[str, tuple[str, text.Signature]] = {}
    count = 0
    for batch in _batches(row for row in kind.texts() if row.object_id not in signed):
        created = []
        for row in batch:
            standard = [*standards.passages(row.organization_id, kind.key), *row.headings]
            key = _key(row, standard)
            if key in seen:
                summary.reused += 1
                plain, computed = seen[key]
            else:
                plain = text.plain(row.content)
                computed = text.signature(plain, standard)
                seen[key] = (plain, computed)
            if computed.is_empty:
                continue
            created.append(
                TextSignature(
                    kind=kind.key,
                    object_id=row.object_id,
                    organization_id=row.organization_id,
                    year=row.year,
                    text=plain,
                    headings=list(row.headings),
                    hashvalues=computed.hashvalues,
                    length=computed.length,
                    digest=computed.digest,
                )
            )
        with transaction.atomic():
            TextSignature.objects.bulk_create(created)
            if kind.across_organizations:
                if any(signature.pk is None for signature in created):
                    # A backend that does not return ids from a bulk insert: read them back.
                    ids = dict(
                        TextSignature.objects.filter(
                            kind=kind.key, object_id__in=[signature.object_id for signature in created]
                        ).values_list("object_id", "pk")
                    )
                    for signature in created:
                        signature.pk = ids[signature.object_id]
                # Written as database-ready rows: a province's buckets are 32 rows a text, and model
                # instances through bulk_create cost more than computing the signatures.
                insert_rows(
                    SignatureBand,
                    ["signature_id", "kind", "year", "key"],
                    [
                        (signature.pk, kind.key, signature.year, band)
                        for signature in created
                        for band in text.band_keys(bytes(signature.hashvalues))
                    ],
                )
        count += len(created)
    summary.signed[kind.key] = count


@dataclass
class _Signed:
    pk: int
    organization_id: int
    year: int
    digest: str
    values: np.ndarray


def _ranked(one: _Signed, others: Sequence[_Signed]) -> list[tuple[_Signed, float]]:
    """OTHERS likely enough to be confirmed, likeliest first (ties in their given order)."""
    if not others:
        return []
    matrix = np.stack([other.values for other in others])
    estimates = (matrix == one.values).mean(axis=1)
    order = np.argsort(-estimates, kind="stable")
    return [(others[index], float(estimates[index])) for index in order if estimates[index] >= CANDIDATE_JACCARD]


def _likeliest(one: _Signed, others: Sequence[_Signed]) -> list[_Signed]:
    return [other for other, _ in _ranked(one, others)[:CONFIRMED_PER_SAVE]]


def pair_missing(kind: kinds.TextKind, year: int, summary: Summary) -> None:
    """The pairs of KIND's texts of YEAR that have none yet, found as one save would find them."""
    confirmed: dict[tuple[str, str], tuple[int, int]] = {}
    if kind.across_organizations:
        _pair_some(kind, year, summary, None, confirmed)
        return
    # A kind compared within each organization only needs one organization's texts at a time: a
    # province's million records are read ORGANIZATIONS_PER_PASS organizations at a time, so memory stays
    # that of a county whatever the size.
    organizations = list(
        TextSignature.objects.filter(kind=kind.key, year=year)
        .values_list("organization_id", flat=True)
        .distinct()
        .order_by("organization_id")
    )
    for start in range(0, len(organizations), ORGANIZATIONS_PER_PASS):
        _pair_some(kind, year, summary, organizations[start : start + ORGANIZATIONS_PER_PASS], confirmed)


def _pair_some(
    kind: kinds.TextKind,
    year: int,
    summary: Summary,
    organizations: list[int] | None,
    confirmed: dict[tuple[str, str], tuple[int, int]],
) -> None:
    """pair_missing over the texts of ORGANIZATIONS (None: every organization); CONFIRMED keeps the shares
    of each pair of distinct words across calls."""
    rows = TextSignature.objects.filter(kind=kind.key, year=year)
    mine = TextPair.objects.filter(kind=kind.key, year=year)
    theirs = TextPair.objects.filter(kind=kind.key, other_year=year)
    if organizations is not None:
        rows = rows.filter(organization_id__in=organizations)
        mine = mine.filter(organization_id__in=organizations)
        theirs = theirs.filter(other_organization_id__in=organizations)
    signed = [
        _Signed(pk, org, yr, digest, text.hashvalues(bytes(raw)))
        for pk, org, yr, digest, raw in rows.values_list("pk", "organization_id", "year", "digest", "hashvalues")
    ]
    if not signed:
        return
    paired = set(mine.values_list("text_id", flat=True))
    paired |= set(theirs.values_list("other_id", flat=True))
    by_organization: dict[int, list[_Signed]] = defaultdict(list)
    for one in signed:
        by_organization[one.organization_id].append(one)
    earlier = TextSignature.objects.filter(kind=kind.key, year__lt=year, organization_id__in=list(by_organization))
    for pk, org, yr, digest, raw in earlier.values_list("pk", "organization_id", "year", "digest", "hashvalues"):
        by_organization[org].append(_Signed(pk, org, yr, digest, text.hashvalues(bytes(raw))))
    buckets: dict[int, list[_Signed]] = defaultdict(list)
    if kind.across_organizations:
        for one in signed:
            for band in text.band_keys(one.values.tobytes()):
                members = buckets[band]
                if len(members) < BUCKET_ROWS_READ:
                    members.append(one)
    # Texts with the same signature (a formula thousands wrote) share their buckets and so their ranked
    # candidates: ranked once, then each takes the first that are not its own organization's, which is
    # what ranking only the other organizations' members would give (a stable order, filtered).
    ranked_by_values: dict[bytes, list[tuple[_Signed, float]]] = {}
    texts: dict[int, str] = {}
    found: dict[tuple[int, int], tuple[object, ...]] = {}
    now = db_value(TextPair, "found_at", timezone.now())
    for one in signed:
        if one.pk in paired:
            continue
        own = [other for other in by_organization[one.organization_id] if other.pk != one.pk][:OWN_TEXTS_READ]
        candidates = {other.pk: other for other in _likeliest(one, own)}
        if kind.across_organizations:
            raw = one.values.tobytes()
            ranked = ranked_by_values.get(raw)
            if ranked is None:
                union = {other.pk: other for band in text.band_keys(raw) for other in buckets[band]}
                ranked = ranked_by_values[raw] = _ranked(one, list(union.values()))
            others = (other for other, _ in ranked if other.organization_id != one.organization_id)
            candidates.update({other.pk: other for other in islice(others, CONFIRMED_PER_SAVE)})
        for other in candidates.values():
            later, earlier_one = (one, other) if (one.year, one.pk) > (other.year, other.pk) else (other, one)
            if (later.pk, earlier_one.pk) in found:
                continue
            shares = confirmed.get((later.digest, earlier_one.digest))
            if shares is None:
                for pk in (later.pk, earlier_one.pk):
                    if pk not in texts:
                        texts[pk] = TextSignature.objects.filter(pk=pk).values_list("text", flat=True).get()
                shares = (
                    text.compare(texts[later.pk], texts[earlier_one.pk]).share,
                    text.compare(texts[earlier_one.pk], texts[later.pk]).share,
                )
                confirmed[(later.digest, earlier_one.digest)] = shares
            if max(shares) < PAIR_SHARE:
                continue
            found[(later.pk, earlier_one.pk)] = (
                kind.key,
                later.year,
                later.pk,
                earlier_one.pk,
                later.organization_id,
                earlier_one.organization_id,
                earlier_one.year,
                shares[0],
                shares[1],
                max(shares),
                now,
            )
    pairs = list(found.values())
    for start in range(0, len(pairs), BATCH * 10):
        with transaction.atomic():
            insert_rows(TextPair, PAIR_COLUMNS, pairs[start : start + BATCH * 10], skip_conflicts=True)
    summary.pairs += len(found)


def compare_all(kind_keys: Sequence[str] = ()) -> Summary:
    """Signs every text without a signature and pairs them, kind by kind and year by year."""
    summary = Summary()
    for kind in kinds.registered():
        if kind_keys and kind.key not in kind_keys:
            continue
        sign_missing(kind, summary)
        years = TextSignature.objects.filter(kind=kind.key).values_list("year", flat=True).distinct()
        for year in sorted(set(years)):
            pair_missing(kind, year, summary)
    return summary
