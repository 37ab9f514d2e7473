"""Writes tests/data/similarity_pairs.json, the labelled near-copy set of issue 18, from similarity_corpus.py.

    .venv/bin/python tests/data/build_similarity_pairs.py

Deterministic (random.Random(SEED)): the same corpus gives the same file, byte for byte, and
tests/similarity/test_accuracy.py checks that the committed file is what this writes.

- "copy": a corpus text and an edited copy, as someone reusing last year's text or a neighbour's would make
  it: dates moved on, people's and the organization's names swapped, numbers changed, sentences reordered or
  one dropped, a paragraph of new material inserted, a few words reworded, and combinations of these. Which
  side is the original is drawn at random.
- "distinct": two different corpus texts of the same topic (every such pair: the hard negatives, which share
  the topic's formulas), and a sample of texts of the same kind on different topics.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.data.similarity_corpus import (
    CORPUS,
    ENGLISH_NAMES,
    ENGLISH_NEW_MATERIAL,
    ENGLISH_REWORDINGS,
    NAMES,
    NEW_MATERIAL,
    PLACES,
    REWORDINGS,
    Text,
)

SEED = 18
PAIRS_PATH = Path(__file__).resolve().parent / "similarity_pairs.json"
COPIES_PER_TEXT = 3
OTHER_TOPIC_PAIRS = 40

RECIPES: tuple[tuple[str, ...], ...] = (
    ("dates",),
    ("names",),
    ("numbers",),
    ("reorder",),
    ("insert",),
    ("reword",),
    ("dates", "numbers"),
    ("dates", "names"),
    ("places", "names"),
    ("reorder", "reword"),
    ("insert", "dates"),
    ("drop", "dates", "reword"),
    ("dates", "names", "numbers"),
    ("dates", "numbers", "reword"),
    ("reorder", "insert", "names"),
    ("places", "names", "reword", "dates"),
    ("dates", "names", "numbers", "reorder", "insert", "reword"),
)
"""Edits applied together, in this order; an edit that changes nothing in a text is left out of its list."""

_SENTENCE_END = re.compile(r"(?<=[。；])")
_ENGLISH_SENTENCE_END = re.compile(r"(?<=\.)\s+")
_PARAGRAPH = re.compile(r"(?=<p>)")
_YEAR = re.compile(r"20[0-9]{2}(?=年)")
_MONTH_DAY = re.compile(r"([0-9]{1,2})月(?:([0-9]{1,2})日)?")
_NUMBER = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+)?(?![0-9]*[年月日])")
_ENGLISH_YEAR = re.compile(r"\b20[0-9]{2}\b")


def _is_english(text: Text) -> bool:
    return text.kind == "english"


def _pieces(text: Text, body: str) -> tuple[list[str], str]:
    """The text cut into the units an editor moves (sentences, or paragraphs of rich text), and their glue."""
    if text.kind == "html":
        return [piece for piece in _PARAGRAPH.split(body) if piece], ""
    if _is_english(text):
        return _ENGLISH_SENTENCE_END.split(body), " "
    return [piece for piece in _SENTENCE_END.split(body) if piece], ""


def _dates(rng: random.Random, text: Text, body: str) -> str:
    if _is_english(text):
        return _ENGLISH_YEAR.sub(lambda match: str(int(match.group()) + 1), body)
    body = _YEAR.sub(lambda match: str(int(match.group()) + 1), body)

    def moved(match: re.Match[str]) -> str:
        month = int(match.group(1)) % 12 + 1
        if match.group(2) is None:
            return f"{month}月"
        return f"{month}月{rng.randint(1, 28)}日"

    return _MONTH_DAY.sub(moved, body)


def _numbers(rng: random.Random, text: Text, body: str) -> str:
    def changed(match: re.Match[str]) -> str:
        value = float(match.group())
        if "." in match.group():
            return f"{value * rng.uniform(0.7, 1.3):.1f}"
        number = int(value)
        other = max(1, round(number * rng.uniform(0.6, 1.5)))
        return str(other + 1 if other == number else other)

    return _NUMBER.sub(changed, body)


def _names(rng: random.Random, text: Text, body: str) -> str:
    names = ENGLISH_NAMES if text.kind in ("english", "mixed") else NAMES
    present = [name for name in names if name in body]
    unused = [name for name in names if name not in body]
    for name in present:
        body = body.replace(name, unused.pop(rng.randrange(len(unused))))
    return body


def _places(rng: random.Random, text: Text, body: str) -> str:
    for place, other in PLACES:
        body = body.replace(place, other)
    return body


def _reorder(rng: random.Random, text: Text, body: str) -> str:
    pieces, glue = _pieces(text, body)
    # The first sentence often names the section (一、…情况。); a copier moves what follows it.
    head, rest = pieces[:1], pieces[1:]
    if len(rest) < 2:
        return body
    shuffled = rest[:]
    while shuffled == rest:
        rng.shuffle(shuffled)
    return glue.join(head + shuffled)


def _drop(rng: random.Random, text: Text, body: str) -> str:
    pieces, glue = _pieces(text, body)
    if len(pieces) < 4:
        return body
    del pieces[rng.randrange(1, len(pieces))]
    return glue.join(pieces)


def _insert(rng: random.Random, text: Text, body: str) -> str:
    pieces, glue = _pieces(text, body)
    if _is_english(text):
        material = rng.choice(ENGLISH_NEW_MATERIAL)
    else:
        material = rng.choice(NEW_MATERIAL)
        if text.kind == "html":
            material = f"<p>{material}</p>"
    pieces.insert(rng.randint(1, len(pieces)), material)
    return glue.join(pieces)


def _reword(rng: random.Random, text: Text, body: str) -> str:
    rewordings = ENGLISH_REWORDINGS if _is_english(text) else REWORDINGS
    present = [pair for pair in rewordings if pair[0] in body]
    for old, new in rng.sample(present, min(len(present), rng.randint(2, 4))):
        places = [match.start() for match in re.finditer(re.escape(old), body)]
        at = rng.choice(places)
        body = body[:at] + new + body[at + len(old) :]
    return body


EDITS: dict[str, Callable[[random.Random, Text, str], str]] = {
    "dates": _dates,
    "numbers": _numbers,
    "names": _names,
    "places": _places,
    "reorder": _reorder,
    "drop": _drop,
    "insert": _insert,
    "reword": _reword,
}


def _copy(rng: random.Random, text: Text, recipe: tuple[str, ...]) -> tuple[str, list[str]]:
    """TEXT edited by RECIPE, and the edits that changed it."""
    body, applied = text.text, []
    for edit in recipe:
        edited = EDITS[edit](rng, text, body)
        if edited != body:
            applied.append(edit)
            body = edited
    return body, applied


def _copies(rng: random.Random) -> list[dict[str, object]]:
    pairs: list[dict[str, object]] = []
    for text in CORPUS:
        seen: set[str] = set()
        recipes = list(RECIPES)
        rng.shuffle(recipes)
        for recipe in recipes:
            if len(seen) == COPIES_PER_TEXT:
                break
            body, applied = _copy(rng, text, recipe)
            if not applied or body in seen:
                continue
            seen.add(body)
            a, b = (text.text, body) if rng.random() < 0.5 else (body, text.text)
            pairs.append(
                {
                    "id": f"copy-{len(pairs) + 1:03d}-{text.id}",
                    "kind": text.kind,
                    "label": "copy",
                    "edits": applied,
                    "a": a,
                    "b": b,
                }
            )
    return pairs


def _pair_kind(one: Text, other: Text) -> str:
    return one.kind if one.kind == other.kind else "across kinds"


def _distinct(rng: random.Random) -> list[dict[str, object]]:
    same_topic = [(one, other) for one, other in itertools.combinations(CORPUS, 2) if one.topic == other.topic]
    other_topic = [
        (one, other)
        for one, other in itertools.combinations(CORPUS, 2)
        if one.topic != other.topic and one.kind == other.kind
    ]
    chosen = [(pair, "same topic") for pair in same_topic] + [
        (pair, "other topic") for pair in rng.sample(other_topic, OTHER_TOPIC_PAIRS)
    ]
    pairs: list[dict[str, object]] = []
    for (one, other), how in chosen:
        a, b = (one, other) if rng.random() < 0.5 else (other, one)
        pairs.append(
            {
                "id": f"distinct-{len(pairs) + 1:03d}-{a.id}--{b.id}",
                "kind": _pair_kind(one, other),
                "label": "distinct",
                "edits": [how],
                "a": a.text,
                "b": b.text,
            }
        )
    return pairs


def build() -> list[dict[str, object]]:
    """The labelled pairs: the copies first, then the distinct pairs."""
    rng = random.Random(SEED)
    return _copies(rng) + _distinct(rng)


def dumps(pairs: list[dict[str, object]]) -> str:
    return json.dumps(pairs, ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    pairs = build()
    PAIRS_PATH.write_text(dumps(pairs), encoding="utf-8")
    copies = sum(pair["label"] == "copy" for pair in pairs)
    print(f"{PAIRS_PATH.name}: {copies} copies, {len(pairs) - copies} distinct pairs")


if __name__ == "__main__":
    main()
