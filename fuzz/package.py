"""Fuzz target: a coordinator's package import without the database — the file
(stats/package_crypto.decrypt_file) and the document (stats/package_format.load and check).

Input: one mode byte, then bytes. Mode 0: the bytes are the package file, opened with the
coordinator's key. Mode 1: the bytes are the plaintext document (what only the file's
encryption keeps out of reach), loaded and checked against the centre's key. Mode 2: the
same, but a document that parses as a JSON object is first re-hashed and re-signed with the
centre's key — a forger holding the key — so the period, catalogue and table checks are
reached. Declared: ``PackageCryptoError``, ``PackageInvalid``. Invariants: an opened file is
the seeds' plaintext; an accepted document is signed by the centre and stored as sent.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import atheris

with atheris.instrument_imports(include=["servicestelle.stats"]):
    from servicestelle.stats import content as release_content
    from servicestelle.stats import package_crypto, package_format, signing
    from servicestelle.stats.keys import layout
    from servicestelle.stats.package_crypto import PackageCryptoError
    from servicestelle.stats.package_format import PackageInvalid
    from servicestelle.stats.periods import Period
    from servicestelle.stats.tables import Dimensions

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from fuzz.common import main

CENTRE_SIGNER = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CENTRE_KEY = CENTRE_SIGNER.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
COORDINATOR = X25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
COORDINATOR_KEY = COORDINATOR.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
SMALL_PLAINTEXT = b'{"format": "servicestelle.package-document/1"}'


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _content(centre: str = "TEST", period: str = "2026-Q1") -> dict[str, Any]:
    dims = Dimensions()
    layouts = [layout(table, dims) for table in package_format.PACKAGE_TABLES]
    every_key = list(dict.fromkeys(key for lay in layouts for key in lay.all_keys()))
    return package_format.package_content(
        release_content.build(
            centre_code=centre,
            period=Period.parse(period),
            k=5,
            layouts=layouts,
            values={key: index % 9 for index, key in enumerate(every_key)},
            suppressed=(),
            dims=dims,
        )
    )


def _signed(document: dict[str, Any]) -> dict[str, Any]:
    document = dict(document)
    document["content_sha256"] = signing.content_hash(document.get("content"))
    body = package_format.signed_document(
        centre_code=document.get("centre"),  # type: ignore[arg-type]
        period=document.get("period"),  # type: ignore[arg-type]
        catalogue_version=document.get("catalogue_version"),  # type: ignore[arg-type]
        content_hash=document["content_sha256"],
        published_at=document.get("published_at"),  # type: ignore[arg-type]
    )
    document["signature"] = _b64(CENTRE_SIGNER.sign(body))
    return document


def _document(period: str = "2026-Q1") -> dict[str, Any]:
    content = _content(period=period)
    return _signed(
        {
            "format": package_format.DOCUMENT_FORMAT,
            "centre": "TEST",
            "period": period,
            "catalogue_version": content["catalogue_version"],
            "published_at": "2026-04-02T10:00:00+00:00",
            "content": content,
            "content_sha256": "",
            "signature": "",
            "public_key": _b64(CENTRE_KEY),
        }
    )


def seeds() -> dict[str, bytes]:
    document = signing.canonical(_document())
    # A small document reaches the table checks in fewer mutations than the full catalogue.
    full = _document("2026")
    small = _signed(
        {**full, "content": {**full["content"], "tables": full["content"]["tables"][:2]}}
    )
    file = json.dumps(package_crypto.encrypt(SMALL_PLAINTEXT, COORDINATOR_KEY)).encode()
    return {
        "file": b"\x00" + file,
        "document": b"\x01" + document,
        "forged-document": b"\x02" + document,
        "forged-two-tables": b"\x02" + signing.canonical(small),
        "not-a-document": b"\x01" + SMALL_PLAINTEXT,
    }


def _load_and_check(plaintext: bytes) -> None:
    try:
        loaded = package_format.load(plaintext)
        package_format.check(loaded, CENTRE_KEY)
    except PackageInvalid:
        return
    sent = json.loads(plaintext)
    if signing.canonical(loaded["content"]) != signing.canonical(sent["content"]):
        raise AssertionError("an accepted package's content is not what was sent")


def _forged(plaintext: bytes) -> bytes:
    try:
        document = json.loads(plaintext)
        if not isinstance(document, dict):
            return plaintext
        return signing.canonical(_signed(document))
    except (ValueError, RecursionError):  # not JSON, or nothing a centre could sign
        return plaintext


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, body = data[0] % 3, data[1:]
    if mode == 0:
        try:
            opened = package_crypto.decrypt_file(body, COORDINATOR)
        except PackageCryptoError:
            return
        if opened != SMALL_PLAINTEXT:
            raise AssertionError("a changed package file opened")
    elif mode == 1:
        _load_and_check(body)
    else:
        _load_and_check(_forged(body))


if __name__ == "__main__":
    main(test_one_input, seeds)
