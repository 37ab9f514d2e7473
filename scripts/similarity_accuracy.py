"""Precision and recall of the near-copy measure on the labelled set (tests/data/similarity_pairs.json).

    .venv/bin/python scripts/similarity_accuracy.py

Prints, for pair_share thresholds 40 to 90, how many pairs are flagged and the precision and recall of
flagging; then, at the chosen threshold (services.FLAG_SHARE), the same per kind of text and per edit, how
many copies the candidate stage keeps (an estimated Jaccard of at least CANDIDATE_JACCARD or a shared LSH
band), and the mean time of pair_share and of the two signatures per pair. The tables are Markdown, for
docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from similarity import services, text  # noqa: E402
from tests.data.build_similarity_pairs import PAIRS_PATH  # noqa: E402

THRESHOLDS = (40, 50, 60, 70, 80, 90)


def _scores(pairs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], float, float]:
    """Each pair's share and whether the candidate stage keeps it; the mean seconds of pair_share and of
    the pair's two signatures."""
    text.words("党建")  # the dictionary loads once a process, before anything is timed
    scored, share_time, signature_time = [], 0.0, 0.0
    for pair in pairs:
        started = time.perf_counter()
        share = text.pair_share(pair["a"], pair["b"])
        share_time += time.perf_counter() - started
        started = time.perf_counter()
        one, other = text.signature(pair["a"]).hashvalues, text.signature(pair["b"]).hashvalues
        signature_time += time.perf_counter() - started
        jaccard = float(text.estimate(one, [other])[0])
        banded = bool(set(text.band_keys(one)) & set(text.band_keys(other)))
        kept = jaccard >= services.CANDIDATE_JACCARD or banded
        scored.append({**pair, "share": share, "jaccard": jaccard, "kept": kept})
    return scored, share_time / len(pairs), signature_time / len(pairs)


def _counts(pairs: Iterable[dict[str, Any]], threshold: int) -> tuple[int, int, int, int]:
    """Copies flagged, distinct pairs flagged, copies, distinct pairs."""
    found = flagged_distinct = copies = distinct = 0
    for pair in pairs:
        flagged = pair["share"] >= threshold
        if pair["label"] == "copy":
            copies += 1
            found += flagged
        else:
            distinct += 1
            flagged_distinct += flagged
    return found, flagged_distinct, copies, distinct


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "–"


def _row(name: str, pairs: list[dict[str, Any]], threshold: int) -> str:
    found, flagged_distinct, copies, distinct = _counts(pairs, threshold)
    precision = _ratio(found, found + flagged_distinct)
    recall = _ratio(found, copies)
    return f"| {name} | {copies} | {distinct} | {found} | {flagged_distinct} | {precision} | {recall} |"


def main() -> None:
    pairs = json.loads(PAIRS_PATH.read_text(encoding="utf-8"))
    scored, share_time, signature_time = _scores(pairs)
    header = "| {} | copies | distinct | copies flagged | distinct flagged | precision | recall |\n| --- |" + (
        " ---: |" * 6
    )
    print(f"{len(pairs)} pairs from tests/data/{PAIRS_PATH.name}")
    print()
    print(header.format("pair_share ≥"))
    for threshold in THRESHOLDS:
        chosen = " (FLAG_SHARE)" if threshold == services.FLAG_SHARE else ""
        print(_row(f"{threshold}{chosen}", scored, threshold))
    print()
    print(f"At {services.FLAG_SHARE}, by kind of text:")
    print()
    print(header.format("kind"))
    for kind in sorted({pair["kind"] for pair in scored}):
        print(_row(kind, [pair for pair in scored if pair["kind"] == kind], services.FLAG_SHARE))
    print()
    print(f"At {services.FLAG_SHARE}, copies by edit (a copy with several edits counts under each):")
    print()
    print("| edit | copies | flagged | recall | kept as candidates |\n| --- | ---: | ---: | ---: | ---: |")
    copies = [pair for pair in scored if pair["label"] == "copy"]
    for edit in sorted({edit for pair in copies for edit in pair["edits"]}):
        with_edit = [pair for pair in copies if edit in pair["edits"]]
        flagged = sum(pair["share"] >= services.FLAG_SHARE for pair in with_edit)
        kept = sum(pair["kept"] for pair in with_edit)
        print(f"| {edit} | {len(with_edit)} | {flagged} | {_ratio(flagged, len(with_edit))} | {kept} |")
    print()
    kept = sum(pair["kept"] for pair in copies)
    print(
        f"Candidate stage (estimate ≥ {services.CANDIDATE_JACCARD} or a shared band): keeps {kept} of "
        f"{len(copies)} copies ({_ratio(kept, len(copies))})"
    )
    missed = [pair for pair in copies if pair["share"] < services.FLAG_SHARE or not pair["kept"]]
    for pair in missed:
        print(
            f"  {pair['id']} {'+'.join(pair['edits'])}: share {pair['share']}, "
            f"estimate {pair['jaccard']:.2f}, candidate {'kept' if pair['kept'] else 'lost'}"
        )
    flagged_distinct = [pair for pair in scored if pair["label"] == "distinct" and pair["share"] >= 30]
    print("Distinct pairs sharing 30 or more:")
    for pair in sorted(flagged_distinct, key=lambda pair: -pair["share"]):
        print(f"  {pair['id']}: share {pair['share']}, estimate {pair['jaccard']:.2f}")
    print()
    print(f"Mean per pair: pair_share {1000 * share_time:.2f} ms, the two signatures {1000 * signature_time:.2f} ms")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("jieba", "datasketch", "RapidFuzz"))
    print(f"Python {platform.python_version()}, {versions}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
