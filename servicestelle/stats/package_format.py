"""The signed package document a centre sends to the statewide coordinator.

A package holds the centre's *unsuppressed* counts for the catalogue tables of one period
(all but the district table: district codes are each centre's own and mean nothing
statewide). Suppressed tables cannot be summed; the coordinator sums packages and applies
disclosure control to the statewide result. Packages therefore never become public: they
leave the centre only encrypted to the coordinator's key (stats.package_crypto).

Formats, each distinct from a release's so that neither passes for the other:
- content ``servicestelle.package-content/1``: like a release's content
  (stats.content) but without ``k`` and with every ``value`` a count (none null);
- signed document ``servicestelle.package-signature/1``: centre, period, catalogue version,
  the content's SHA-256 and the approval time, canonical JSON, signed with the centre's
  Ed25519 release key (stats.signing) when a second supervisor approves;
- plaintext document ``servicestelle.package-document/1``: ``format``, ``centre``,
  ``period``, ``catalogue_version``, ``published_at``, ``content``, ``content_sha256``,
  ``signature`` and ``public_key`` (both base64).

``load`` checks the schema, ``check`` the hash, the key (the one the coordinator registered
for the centre, never the one the document brings), the signature, the period and the
catalogue version, and that every table is exactly the catalogue's. Both raise
``PackageInvalid`` with a ``Refusal`` saying which check failed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from servicestelle.stats import signing
from servicestelle.stats.exports import FigureSchema, TableSchema, _Base64
from servicestelle.stats.keys import Key, layout
from servicestelle.stats.periods import Period, PeriodError
from servicestelle.stats.release_models import Release, ReleaseKind, ReleaseStatus
from servicestelle.stats.tables import CATALOGUE_VERSION, DISTRICT, TABLES, Dimensions, Table

CONTENT_FORMAT = "servicestelle.package-content/1"
SIGNATURE_FORMAT = "servicestelle.package-signature/1"
DOCUMENT_FORMAT = "servicestelle.package-document/1"

#: The tables of a package: the catalogue without the district table.
PACKAGE_TABLES: tuple[Table, ...] = tuple(t for t in TABLES if DISTRICT not in t.dimensions)
_BY_ID = {table.id: table for table in PACKAGE_TABLES}
#: Far above the catalogue's largest table (ground × life area), far below a memory problem.
MAX_FIGURES = 2_000


class Refusal(StrEnum):
    MALFORMED = "malformed"  # not the documented schema, or tables unlike the catalogue's
    TAMPERED = "tampered"  # the content does not match its signed hash
    OTHER_KEY = "other_key"  # signed with a key other than the centre's registered one
    SIGNATURE = "signature"  # the signature does not verify
    PERIOD = "period"  # not a quarter, half-year or year
    CATALOGUE = "catalogue"  # another version of the table catalogue


class PackageInvalid(ValueError):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def signed_document(
    *,
    centre_code: str,
    period: str,
    catalogue_version: int,
    content_hash: str,
    published_at: str,
) -> bytes:
    """The bytes a centre signs when its second supervisor approves a package."""
    return signing.canonical(
        {
            "format": SIGNATURE_FORMAT,
            "centre": centre_code,
            "period": period,
            "catalogue_version": catalogue_version,
            "content_sha256": content_hash,
            "published_at": published_at,
        }
    )


def package_content(release_content: Mapping[str, Any]) -> dict[str, Any]:
    """A package's content from stats.content.build with nothing suppressed: its own format,
    and no ``k`` (nothing was suppressed, so no threshold applies)."""
    content = {key: value for key, value in release_content.items() if key != "k"}
    content["format"] = CONTENT_FORMAT
    return content


# --- the schema ----------------------------------------------------------------------------


class PackageFigureSchema(FigureSchema):
    value = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class PackageTableSchema(TableSchema):
    figures = fields.List(
        fields.Nested(PackageFigureSchema),
        required=True,
        validate=validate.Length(max=MAX_FIGURES),
    )


class PackageContentSchema(Schema):
    format = fields.String(required=True, validate=validate.Equal(CONTENT_FORMAT))
    catalogue_version = fields.Integer(required=True, strict=True)
    centre = fields.String(required=True, validate=validate.Length(min=1, max=32))
    period = fields.String(required=True, validate=validate.Length(max=16))
    period_label = fields.String(required=True, validate=validate.Length(max=100))
    tables = fields.List(
        fields.Nested(PackageTableSchema),
        required=True,
        validate=validate.Length(min=1, max=len(PACKAGE_TABLES)),
    )


class PackageDocumentSchema(Schema):
    format = fields.String(required=True, validate=validate.Equal(DOCUMENT_FORMAT))
    centre = fields.String(required=True, validate=validate.Length(min=1, max=32))
    period = fields.String(required=True, validate=validate.Length(max=16))
    catalogue_version = fields.Integer(required=True, strict=True)
    published_at = fields.String(required=True, validate=validate.Length(max=40))
    content = fields.Nested(PackageContentSchema, required=True)
    content_sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    signature = _Base64(required=True)
    public_key = _Base64(required=True)


def document(release: Release, centre_code: str) -> dict[str, Any]:
    """The plaintext document of an approved package (what is encrypted to the coordinator)."""
    if release.kind != ReleaseKind.PACKAGE or release.status != ReleaseStatus.PUBLISHED:
        raise ValueError("only an approved package is exported")
    if release.decided_at is None or release.signature is None or release.public_key is None:
        raise ValueError("an approved package is signed")
    return {
        "format": DOCUMENT_FORMAT,
        "centre": centre_code,
        "period": release.period,
        "catalogue_version": release.catalogue_version,
        "published_at": release.decided_at.isoformat(),
        "content": json.loads(release.content),
        "content_sha256": release.content_hash,
        "signature": base64.b64encode(release.signature).decode(),
        "public_key": base64.b64encode(release.public_key).decode(),
    }


# --- verification --------------------------------------------------------------------------


def load(plaintext: bytes) -> dict[str, Any]:
    """The document, schema-checked; ``PackageInvalid(MALFORMED)`` for anything else."""
    try:
        data = json.loads(plaintext.decode("utf-8"))
        loaded: dict[str, Any] = PackageDocumentSchema().load(data)
        # A lone surrogate ("\ud800" is valid JSON) has no UTF-8 form: nothing to hash,
        # sign or store (UnicodeEncodeError, a ValueError).
        signing.canonical(data)
        # The content is hashed, signed and stored as sent: the schema may check it, not
        # change it (marshmallow reads 1 as true, for one).
        unchanged = signing.canonical(loaded["content"]) == signing.canonical(data["content"])
    except (UnicodeDecodeError, ValueError, TypeError, ValidationError, RecursionError):
        raise PackageInvalid(Refusal.MALFORMED) from None
    if not unchanged:
        raise PackageInvalid(Refusal.MALFORMED)
    return loaded


@dataclass(frozen=True)
class Checked:
    period: Period
    #: When the centre's second supervisor approved the package (signed).
    published_at: datetime


def check(loaded: Mapping[str, Any], registered_key: bytes) -> Checked:
    """Hash, key, signature, period, catalogue and tables of a loaded document."""
    content = loaded["content"]
    if signing.content_hash(content) != loaded["content_sha256"]:
        raise PackageInvalid(Refusal.TAMPERED)
    if loaded["public_key"] != registered_key:
        raise PackageInvalid(Refusal.OTHER_KEY)
    document = signed_document(
        centre_code=loaded["centre"],
        period=loaded["period"],
        catalogue_version=loaded["catalogue_version"],
        content_hash=loaded["content_sha256"],
        published_at=loaded["published_at"],
    )
    if not signing.verify(registered_key, loaded["signature"], document):
        raise PackageInvalid(Refusal.SIGNATURE)
    try:
        period = Period.parse(loaded["period"])
    except PeriodError:
        raise PackageInvalid(Refusal.PERIOD) from None
    if loaded["catalogue_version"] != CATALOGUE_VERSION:
        raise PackageInvalid(Refusal.CATALOGUE)
    signed_fields = ("centre", "period", "catalogue_version")
    if any(content[name] != loaded[name] for name in signed_fields):
        raise PackageInvalid(Refusal.MALFORMED)
    try:
        approved = datetime.fromisoformat(loaded["published_at"])
    except ValueError:
        raise PackageInvalid(Refusal.MALFORMED) from None
    if approved.tzinfo is None:
        raise PackageInvalid(Refusal.MALFORMED)
    _check_tables(content["tables"])
    return Checked(period, approved)


def _check_tables(tables: list[Mapping[str, Any]]) -> None:
    """Every table is one of the catalogue's, once, with exactly the catalogue's figures: a
    table the package has is complete, so a figure it covers is never missing."""
    dims = Dimensions()
    seen: set[str] = set()
    for table in tables:
        expected = _BY_ID.get(table["id"])
        if expected is None or table["id"] in seen:
            raise PackageInvalid(Refusal.MALFORMED)
        seen.add(table["id"])
        lay = layout(expected, dims)
        try:
            found = {
                (figure["row"], figure["col"]): Key.parse(figure["key"])
                for figure in table["figures"]
            }
        except ValueError:
            raise PackageInvalid(Refusal.MALFORMED) from None
        if len(found) != len(table["figures"]) or found != lay.keys:
            raise PackageInvalid(Refusal.MALFORMED)
