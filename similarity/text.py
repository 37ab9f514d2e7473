"""How much of one Chinese text is found in another: sentences, words, signatures and shared passages.

Pure functions over strings, no database. A text is cut into sentences (at 。！？；, line ends and block
tags of rich text); each sentence is normalised so that what a copy changes without adding anything does
not count as new: digits (dates, counts, numbers) become one mark, punctuation and spaces go, Latin letters
are lower-cased. Words come from jieba's dictionary segmentation; a sentence's word pairs are its shingles,
so a reordered paragraph keeps its shingles and a changed name or date breaks only its neighbours.

Two measures, one cheap and one exact:

- a MinHash signature of the shingles (datasketch) estimates their Jaccard overlap from 128 numbers kept
  with the text, so candidates are found without reading the texts (`signature`, `estimate`, `band_keys`);
- `compare` confirms a candidate by aligning sentences with rapidfuzz's edit-distance ratio: a sentence of
  A is shared when B has one at least `SENTENCE_MATCH` alike, and A's share is the length of its shared
  sentences over the length of all its counted sentences. The aligned pairs are the passages shown side by
  side.

Sentences shorter than `MIN_SENTENCE` characters after normalising (a heading such as 一、主要做法, a
date line) and sentences matching the committee's standard text are not counted on either side.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import jieba
import numpy as np
from datasketch import LeanMinHash, MinHash
from rapidfuzz import fuzz, process

NUM_PERM = 128
"""MinHash permutations: 128 numbers estimate a Jaccard overlap within about ±0.09 (one standard error 0.044)."""
BANDS, ROWS = 32, 4
"""LSH bands of ROWS numbers each: texts of Jaccard 0.4 meet in a band with probability 0.56, of 0.6 with 0.99."""
MIN_SENTENCE = 6
"""Normalised sentences shorter than this (headings, dates, 无) are not counted."""
MAX_SENTENCE = 120
"""Longer runs without a stop are cut into pieces of this length, so one pasted block is not one sentence."""
SENTENCE_MATCH = 80
"""How alike (rapidfuzz ratio, 0–100) two normalised sentences must be to count as the same sentence."""
STANDARD_MATCH = 90
"""How alike a sentence must be to a passage of standard text to be left out as boilerplate."""
MAX_CHARS = 60_000
"""A text is read up to this many characters: a report is far shorter; a pasted book is cut, not refused."""
SEED = 20261204

_BLOCK_END = re.compile(r"</(p|div|li|h[1-6]|tr|blockquote|pre)\s*>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
# A Latin full stop ends a sentence only before a space or the end (not in 3.5 or www.gov.cn).
_STOPS = re.compile(r"[。！？；!?;\n\r]+|\.(?=\s|$)")
_DIGITS = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_CN_NUMBER = re.compile(r"[零一二三四五六七八九十百千万两]+(?=[次个名人项条篇期场天月年日号届批户元%])")
_DROP = re.compile(r"[\W_]+", re.UNICODE)
# A space survives normalising only between two Latin letters: English keeps its words apart, Chinese
# (written without spaces, whatever the typist added) is one run.
_LONE_SPACE = re.compile(r"(?<![a-z]) | (?![a-z])")
# Function words every sentence has: one-character ones, then the bureaucratic fillers of any report.
_STOP_WORDS = frozenset("的了和与及并在是对把将等中为由于以也都又或其之着被从向就而还要让给我本该这那") | frozenset(
    {
        "我们",
        "这些",
        "那些",
        "一些",
        "进行",
        "开展",
        "做好",
        "认真",
        "积极",
        "切实",
        "有效",
        "不断",
        "进一步",
        "全面",
        "深入",
    }
)
DIGIT_MARK = ""


def plain(text: str) -> str:
    """The words of TEXT, rich text or plain: tags removed (a block's end is a line end), entities decoded."""
    text = (text or "")[: MAX_CHARS * 2]
    if "<" in text:
        text = _TAG.sub("", _BLOCK_END.sub("\n", text))
    return html.unescape(text).replace("\xa0", " ")[:MAX_CHARS]


def normalise(sentence: str) -> str:
    """A sentence as compared: full-width folded, lower case, numbers dropped, no punctuation; spaces kept
    only between Latin words."""
    folded = unicodedata.normalize("NFKC", sentence).lower()
    folded = _DIGITS.sub(DIGIT_MARK, folded)
    folded = _CN_NUMBER.sub(DIGIT_MARK, folded)
    return _LONE_SPACE.sub("", _DROP.sub(" ", folded)).strip()


@dataclass(frozen=True)
class Sentence:
    """One sentence of a text: where it is in the plain text, and how it is compared."""

    start: int
    end: int
    key: str

    @property
    def weight(self) -> int:
        return len(self.key)


def sentences(text: str) -> list[Sentence]:
    """The sentences of a plain TEXT in order, with their place in it; pieces of overlong runs included."""
    found: list[Sentence] = []
    position = 0
    for piece in _STOPS.split(text):
        start = text.find(piece, position) if piece else position
        end = start + len(piece)
        position = end
        for offset in range(0, max(len(piece), 1), MAX_SENTENCE):
            part = piece[offset : offset + MAX_SENTENCE]
            key = normalise(part)
            if key:
                found.append(Sentence(start + offset, start + offset + len(part), key))
    return found


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    """jieba's dictionary, loaded once a process (about 0.7 s; its cache goes to the system's temp folder)."""
    jieba.setLogLevel(60)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def words(key: str) -> list[str]:
    """The words of a normalised sentence, without the function words every sentence has."""
    # HMM=False: new words are left as single characters; they still pair up as shingles, and the
    # dictionary cut is twice as fast.
    return [word for word in _segmenter().lcut(key, HMM=False) if word != " " and word not in _STOP_WORDS]


def shingles(counted: Iterable[Sentence]) -> set[str]:
    """Word pairs within each sentence (a one-word sentence is its word)."""
    found: set[str] = set()
    for sentence in counted:
        sentence_words = words(sentence.key)
        if len(sentence_words) == 1:
            found.add(sentence_words[0])
        found.update(f"{first} {second}" for first, second in itertools.pairwise(sentence_words))
    return found


def _standard_filter(standard: Sequence[str]) -> list[str]:
    return [key for key in (normalise(passage) for passage in standard) if len(key) >= MIN_SENTENCE]


def counted_sentences(text: str, standard: Sequence[str] = ()) -> list[Sentence]:
    """The sentences of TEXT that count: long enough, and not standard text."""
    keys = _standard_filter(standard)
    counted = []
    for sentence in sentences(plain(text)):
        if sentence.weight < MIN_SENTENCE:
            continue
        if keys and process.extractOne(sentence.key, keys, scorer=fuzz.ratio, score_cutoff=STANDARD_MATCH):
            continue
        counted.append(sentence)
    return counted


@dataclass(frozen=True)
class Signature:
    """What is kept of a text to find its near-copies: the MinHash numbers, the counted length and a digest."""

    hashvalues: bytes
    length: int
    digest: str

    @property
    def is_empty(self) -> bool:
        return self.length == 0


_EMPTY = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)


def signature(text: str, standard: Sequence[str] = ()) -> Signature:
    """The signature of TEXT with STANDARD passages left out; a text with nothing counted has length 0."""
    counted = counted_sentences(text, standard)
    digest = hashlib.sha256("\n".join(sentence.key for sentence in counted).encode()).hexdigest()
    found = shingles(counted)
    if not found:
        return Signature(_EMPTY.tobytes(), 0, digest)
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update_batch([shingle.encode() for shingle in sorted(found)])
    values = LeanMinHash(minhash).hashvalues.astype(np.uint32)
    return Signature(values.tobytes(), sum(sentence.weight for sentence in counted), digest)


def hashvalues(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=np.uint32)


def estimate(one: bytes, others: Sequence[bytes]) -> np.ndarray:
    """The estimated Jaccard overlap of ONE's shingles with each of OTHERS' (one vectorised comparison)."""
    if not others:
        return np.zeros(0)
    matrix = np.frombuffer(b"".join(others), dtype=np.uint32).reshape(len(others), NUM_PERM)
    return (matrix == hashvalues(one)).mean(axis=1)


def band_keys(raw: bytes) -> list[int]:
    """The LSH bucket of each band, as signed 64-bit numbers (a database's bigint): texts sharing one are
    candidates. The band's number is part of its key, so one indexed column holds them all."""
    values = hashvalues(raw)
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(struct.pack("<H", band) + chunk, digest_size=8).digest()
        keys.append(struct.unpack("<q", digest)[0])
    return keys


@dataclass(frozen=True)
class Passage:
    """A sentence of the first text and its match in the second: places in each plain text and how alike."""

    start: int
    end: int
    other_start: int
    other_end: int
    score: int


@dataclass(frozen=True)
class Comparison:
    """How much of the first text the second holds (0–100), and the shared passages in the first's order."""

    share: int
    passages: tuple[Passage, ...]
    counted: int


def compare(text: str, other: str, standard: Sequence[str] = ()) -> Comparison:
    """The share of TEXT found in OTHER, sentence by sentence, standard text left out of both."""
    mine = counted_sentences(text, standard)
    theirs = counted_sentences(other, standard)
    total = sum(sentence.weight for sentence in mine)
    if not mine or not theirs:
        return Comparison(0, (), total)
    scores = process.cdist(
        [sentence.key for sentence in mine],
        [sentence.key for sentence in theirs],
        scorer=fuzz.ratio,
        score_cutoff=SENTENCE_MATCH,
        dtype=np.uint8,
    )
    passages = []
    shared = 0
    for index, sentence in enumerate(mine):
        best = int(scores[index].argmax())
        score = int(scores[index][best])
        if score >= SENTENCE_MATCH:
            match = theirs[best]
            passages.append(Passage(sentence.start, sentence.end, match.start, match.end, score))
            shared += sentence.weight
    return Comparison(round(100 * shared / total), tuple(passages), total)


def pair_share(text: str, other: str, standard: Sequence[str] = ()) -> int:
    """How alike two texts are as a pair: the larger of the two shares, so that a text copied into a longer
    one (or a longer one cut down to it) counts as a copy either way."""
    return max(compare(text, other, standard).share, compare(other, text, standard).share)


def problem_likeness(text: str, other: str) -> int:
    """How alike two short problem statements are (0–100), by words rather than by sentences.

    A problem is a line or two, often the same problem in other words ("党费台账未按月登记" and "党费收缴台账
    登记不及时，未做到按月登记"): the share of the shorter one's words that the longer one uses, weighed
    with rapidfuzz's token-set ratio so that two lists of common words do not look alike by chance.
    """
    mine = set(words(normalise(plain(text))))
    theirs = set(words(normalise(plain(other))))
    mine.discard(DIGIT_MARK)
    theirs.discard(DIGIT_MARK)
    if not mine or not theirs:
        return 0
    overlap = len(mine & theirs) / min(len(mine), len(theirs))
    # Long words (党费, 台账, 三会一课) say more about a problem than single characters (未, 按).
    weight = sum(len(word) for word in mine & theirs) / min(
        sum(len(word) for word in mine), sum(len(word) for word in theirs)
    )
    token_set = fuzz.token_set_ratio(" ".join(sorted(mine)), " ".join(sorted(theirs))) / 100
    return round(100 * min(1.0, (overlap + weight + token_set) / 3))
