"""The ballot box of 民主测评: what the database may hold of a vote, and how it is kept apart from the code.

docs/architecture.md ("Ballot secrecy") says what each observer can and cannot learn. In short:

- A spent code is remembered only as a keyed digest (`spent_digest`) in a table of its own, with no
  link to the code's row and no time: the code's row is never written, locked or touched by a vote.
- A vote waits in `PendingBallot` as a sealed box (AES-GCM under a key derived from SECRET_KEY, with
  a random nonce and padded to one length), so a copy of the database shows neither the rating nor,
  by the box's size, which rating it is.
- As soon as an organization has `Cycle.min_ballots` boxes waiting, they are opened and added to its
  `BallotTally` (counts only) and deleted in the same transaction; the rest are added when the window
  closes. No row ever holds one ballot's rating in the clear.

Keys come from SECRET_KEY and, so that a rotated key loses no vote and frees no spent code, from
SECRET_KEY_FALLBACKS too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

NONCE_BYTES = 12
SEALED_PLAINTEXT_BYTES = 480
"""Every box holds this many bytes before sealing: a 好 and a 较好 make boxes of the same size."""
SPENT_SALT = b"reviews.ballot_box.spent"
SEAL_SALT = b"reviews.ballot_box.seal"


def _secrets() -> list[str]:
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def _derive(secret: str, salt: bytes) -> bytes:
    return hmac.new(salt, secret.encode(), hashlib.sha256).digest()


def spent_digest(code: str, secret: str | None = None) -> str:
    """What the database keeps of a spent code: a digest keyed with the server's secret, never the code."""
    key = _derive(secret if secret is not None else settings.SECRET_KEY, SPENT_SALT)
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def spent_digests(code: str) -> list[str]:
    """The digests the code may have been spent under: the current key's and each earlier key's."""
    return [spent_digest(code, secret) for secret in _secrets()]


@dataclass(frozen=True)
class Vote:
    """One member's ratings, only ever held in memory: the overall rating and the optional aspects."""

    rating: str
    items: Mapping[str, str] = field(default_factory=dict)


class BoxTooLarge(ValueError):
    """The ratings do not fit the fixed box size (aspect labels are fixed and short, so only forged input)."""


def _associated(cycle_id: int, organization_id: int) -> bytes:
    # The box belongs to one cycle and organization: moved to another row it no longer opens.
    return f"{cycle_id}:{organization_id}".encode()


def seal(vote: Vote, *, cycle_id: int, organization_id: int) -> bytes:
    """The vote as a sealed box: nonce + AES-GCM ciphertext of the padded JSON."""
    plain = json.dumps({"r": vote.rating, "i": dict(vote.items)}, ensure_ascii=False, sort_keys=True).encode()
    if len(plain) > SEALED_PLAINTEXT_BYTES:
        raise BoxTooLarge
    padded = plain + b" " * (SEALED_PLAINTEXT_BYTES - len(plain))
    nonce = os.urandom(NONCE_BYTES)
    key = _derive(settings.SECRET_KEY, SEAL_SALT)
    return nonce + AESGCM(key).encrypt(nonce, padded, _associated(cycle_id, organization_id))


class BoxUnreadable(ValueError):
    """No configured key opens the box: SECRET_KEY changed without the old one in SECRET_KEY_FALLBACKS."""


def unseal(box: bytes, *, cycle_id: int, organization_id: int) -> Vote:
    """Opens a box sealed by `seal` under the current or an earlier key."""
    box = bytes(box)
    nonce, ciphertext = box[:NONCE_BYTES], box[NONCE_BYTES:]
    for secret in _secrets():
        try:
            padded = AESGCM(_derive(secret, SEAL_SALT)).decrypt(
                nonce, ciphertext, _associated(cycle_id, organization_id)
            )
        except InvalidTag:
            continue
        content = json.loads(padded.decode().rstrip(" "))
        return Vote(rating=content["r"], items=content["i"])
    raise BoxUnreadable
