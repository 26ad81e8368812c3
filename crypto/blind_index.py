"""Blind indexes: find equal values (a case reference, a respondent's name) without storing them.

An index is HMAC-SHA256 of the normalised value under a key derived with HKDF from the index
master key, domain-separated per (table, column, version), truncated to ``bits``. Truncation
makes it a Bloom filter: every lookup returns a few false positives that decryption weeds
out, so an index alone never proves that two rows hold the same value. The length follows
CipherSweet's rule: with R expected rows, 2 ≤ R / 2^bits < √R.

Never on a special-category field (ethnic origin, religion, health …): even a truncated index
partitions the rows by value.

Normalisation (documented, because it decides what counts as "the same"): Unicode NFKC,
case folded, umlauts and ß spelled out (ä→ae, ö→oe, ü→ue, ß→ss, so "Müller" = "Mueller"),
every run of whitespace and the characters ``-.,'`` collapsed to one space, trimmed.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.envelope import KEY_BYTES

_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_SEPARATORS = re.compile(r"[\s\-.,']+")


def normalise(value: str) -> str:
    """The form two values must share to be "the same" (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", value).casefold().translate(_SPELLED_OUT)
    return _SEPARATORS.sub(" ", folded).strip()


def bits_for(expected_rows: int) -> int:
    """The largest index length with 2 ≤ R / 2^bits (CipherSweet), at least 1 bit."""
    if expected_rows < 4:
        raise ValueError("a blind index needs at least 4 expected rows to leave coincidences")
    return max(1, math.floor(math.log2(expected_rows / 2)))


def coincidences(expected_rows: int, bits: int) -> float:
    """How many rows share one index value on average: R / 2^bits."""
    return expected_rows / 2**bits


@dataclass(frozen=True)
class BlindIndex:
    """One index: where it lives and how long it is."""

    table: str
    column: str
    bits: int
    version: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.bits <= 256:
            raise ValueError("a blind index has 1 to 256 bits")

    def key(self, master_key: bytes) -> bytes:
        """This index's own key: HKDF-SHA256 with the index named in ``info``."""
        if len(master_key) != KEY_BYTES:
            raise ValueError("the index master key is 32 bytes")
        info = f"servicestelle blind index|{self.table}|{self.column}|v{self.version}".encode()
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(
            master_key
        )

    def value(self, master_key: bytes, plaintext: str) -> int:
        """The index of ``plaintext``: the first ``bits`` bits of its HMAC, as a number."""
        digest = hmac.new(
            self.key(master_key), normalise(plaintext).encode("utf-8"), hashlib.sha256
        ).digest()
        return int.from_bytes(digest, "big") >> (256 - self.bits)
