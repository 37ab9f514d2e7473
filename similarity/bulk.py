"""Comparing texts in bulk: what was loaded without the services that compare on save (the demo, the
generated province, an import, a first installation). `compare_all` is `manage.py compare_texts`.

Texts without a signature get one; texts whose words were seen before reuse the signature computed
for them (a province writes the same formulas thousands of times). Pairs are then found as one save
finds them (the organization's own texts, and for kinds compared across organizations the texts of the
same year sharing a bucket, at most `CONFIRMED_PER_SAVE` candidates each), in memory a kind and a year
at a time, and each pair of distinct words is confirmed once.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
from django.db import transaction

from accounts.models import Organization
from similarity import kinds, text
from similarity.models import SignatureBand, StandardText, TextPair, TextSignature
from similarity.services import BUCKET_ROWS_READ, CANDIDATE_JACCARD, CONFIRMED_PER_SAVE, OWN_TEXTS_READ, PAIR_SHARE

BATCH = 2000


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
                SignatureBand.objects.bulk_create(
                    (
                        SignatureBand(signature_id=signature.pk, kind=kind.key, year=signature.year, key=band)
                        for signature in created
                        for band in text.band_keys(bytes(signature.hashvalues))
                    ),
                    batch_size=BATCH * 4,
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


def _likeliest(one: _Signed, others: Sequence[_Signed]) -> list[_Signed]:
    if not others:
        return []
    matrix = np.stack([other.values for other in others])
    estimates = (matrix == one.values).mean(axis=1)
    order = np.argsort(-estimates, kind="stable")
    return [others[index] for index in order[:CONFIRMED_PER_SAVE] if estimates[index] >= CANDIDATE_JACCARD]


def pair_missing(kind: kinds.TextKind, year: int, summary: Summary) -> None:
    """The pairs of KIND's texts of YEAR that have none yet, found as one save would find them."""
    rows = TextSignature.objects.filter(kind=kind.key, year=year).values_list(
        "pk", "organization_id", "year", "digest", "hashvalues"
    )
    signed = [_Signed(pk, org, yr, digest, text.hashvalues(bytes(raw))) for pk, org, yr, digest, raw in rows]
    if not signed:
        return
    paired = set(TextPair.objects.filter(kind=kind.key, year=year).values_list("text_id", flat=True))
    paired |= set(TextPair.objects.filter(kind=kind.key, other_year=year).values_list("other_id", flat=True))
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
    texts: dict[int, str] = {}
    found: dict[tuple[int, int], TextPair] = {}
    confirmed: dict[tuple[str, str], tuple[int, int]] = {}
    for one in signed:
        if one.pk in paired:
            continue
        own = [other for other in by_organization[one.organization_id] if other.pk != one.pk][:OWN_TEXTS_READ]
        candidates = {other.pk: other for other in _likeliest(one, own)}
        if kind.across_organizations:
            seen = {
                other.pk: other
                for band in text.band_keys(one.values.tobytes())
                for other in buckets[band]
                if other.organization_id != one.organization_id
            }
            candidates.update({other.pk: other for other in _likeliest(one, list(seen.values()))})
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
            found[(later.pk, earlier_one.pk)] = TextPair(
                kind=kind.key,
                year=later.year,
                text_id=later.pk,
                other_id=earlier_one.pk,
                organization_id=later.organization_id,
                other_organization_id=earlier_one.organization_id,
                other_year=earlier_one.year,
                text_share=shares[0],
                other_share=shares[1],
                share=max(shares),
            )
    TextPair.objects.bulk_create(found.values(), batch_size=BATCH, ignore_conflicts=True)
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
