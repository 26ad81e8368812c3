"""Exports of a published release: JSON (a documented, versioned schema), CSV per table and
the DeZIM minimum-standard dimensions.

The JSON export carries everything needed to check it without the centre's database: the
content, its SHA-256, the signed document's fields, the Ed25519 signature and the centre's
public key (both base64). ``verify_export`` is that check.

Schema ``servicestelle.release/1``:
- ``format``, ``release_id``, ``centre``, ``period``, ``catalogue_version``, ``k``,
  ``status`` (published or revoked), ``published_at`` (ISO 8601, UTC), ``revoked`` (bool);
- ``content``: ``format`` ``servicestelle.release-content/1``, ``period_label``, ``tables``:
  each with ``id``, ``title``, ``basis`` and ``basis_label`` (the counting basis), ``unit``
  (cases or respondents), ``multiple_answers``, ``note``, ``rows``/``cols`` (code and label),
  ``figures``: ``row``/``col`` (a code, or null for the margin or total), ``key`` (the
  figure's key, stable across tables and releases), ``value`` (a count, or null where
  suppressed — shown as "•");
- ``content_sha256``, ``signature``, ``public_key``;
- ``revocation``: null while the release is published; once it is revoked, the signed
  revocation (``format`` ``servicestelle.release-revocation/1``, ``centre``, ``period``,
  ``content_sha256``, ``published_at``, ``revoked_at``, ``reason_hmac_sha256`` — a keyed
  commitment to the reason, never its text — and ``signature``, Ed25519 under the same key).

The status is signed only by the revocation: an export taken before the revocation says
"published" and still verifies. Whoever relies on a release asks the source for its current
status (the API's GET /api/v1/stats/releases/<id> answers with the revocation).
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from servicestelle.stats import signing
from servicestelle.stats.content import CONTENT_FORMAT
from servicestelle.stats.release_models import Release, ReleaseStatus

EXPORT_FORMAT = "servicestelle.release/1"
SUPPRESSED = "•"

_CODE = validate.Regexp(r"^[a-z0-9_]{1,64}$")


class LabelledCodeSchema(Schema):
    code = fields.String(required=True, validate=_CODE)
    label = fields.String(required=True, validate=validate.Length(max=400))


class FigureSchema(Schema):
    row = fields.String(required=True, allow_none=True, validate=_CODE)
    col = fields.String(required=True, allow_none=True, validate=_CODE)
    key = fields.String(required=True, validate=validate.Length(min=1, max=400))
    value = fields.Integer(
        strict=True, required=True, allow_none=True, validate=validate.Range(min=0)
    )


class TableSchema(Schema):
    id = fields.String(required=True, validate=_CODE)
    title = fields.String(required=True, validate=validate.Length(max=400))
    basis = fields.String(required=True, validate=_CODE)
    basis_label = fields.String(required=True, validate=validate.Length(max=400))
    unit = fields.String(required=True, validate=validate.OneOf(["cases", "respondents"]))
    multiple_answers = fields.Boolean(required=True)
    note = fields.String(required=True, allow_none=True, validate=validate.Length(max=2000))
    row_dimension = fields.String(required=True, allow_none=True, validate=_CODE)
    col_dimension = fields.String(required=True, allow_none=True, validate=_CODE)
    rows = fields.List(fields.Nested(LabelledCodeSchema), required=True)
    cols = fields.List(fields.Nested(LabelledCodeSchema), required=True)
    figures = fields.List(fields.Nested(FigureSchema), required=True)


class ContentSchema(Schema):
    format = fields.String(required=True, validate=validate.Equal(CONTENT_FORMAT))
    catalogue_version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    centre = fields.String(required=True, validate=validate.Length(min=1, max=32))
    period = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}(-(Q[1-4]|H[12]))?$"))
    period_label = fields.String(required=True, validate=validate.Length(max=100))
    k = fields.Integer(strict=True, required=True, validate=validate.Range(min=3))
    tables = fields.List(fields.Nested(TableSchema), required=True)


class _Base64(fields.Field):
    """Bytes as base64 text."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else base64.b64encode(value).decode()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        if not isinstance(value, str):
            raise ValidationError("base64 text expected")
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise ValidationError("not base64") from None


_HASH = validate.Regexp(r"^[0-9a-f]{64}$")
_PERIOD = validate.Regexp(r"^[0-9]{4}(-(Q[1-4]|H[12]))?$")


class RevocationSchema(Schema):
    """The signed revocation of a release (signing.revocation_document and its signature)."""

    format = fields.String(required=True, validate=validate.Equal(signing.REVOCATION_FORMAT))
    centre = fields.String(required=True, validate=validate.Length(min=1, max=32))
    period = fields.String(required=True, validate=_PERIOD)
    content_sha256 = fields.String(required=True, validate=_HASH)
    published_at = fields.String(required=True, validate=validate.Length(max=40))
    revoked_at = fields.String(required=True, validate=validate.Length(max=40))
    reason_hmac_sha256 = fields.String(required=True, validate=_HASH)
    signature = _Base64(required=True)


class ReleaseExportSchema(Schema):
    format = fields.String(required=True, validate=validate.Equal(EXPORT_FORMAT))
    release_id = fields.Integer(strict=True, required=True)
    centre = fields.String(required=True, validate=validate.Length(min=1, max=32))
    period = fields.String(required=True)
    catalogue_version = fields.Integer(strict=True, required=True)
    k = fields.Integer(strict=True, required=True, validate=validate.Range(min=3))
    status = fields.String(
        required=True, validate=validate.OneOf([ReleaseStatus.PUBLISHED, ReleaseStatus.REVOKED])
    )
    revoked = fields.Boolean(required=True)
    published_at = fields.String(required=True)
    content = fields.Nested(ContentSchema, required=True)
    content_sha256 = fields.String(required=True, validate=_HASH)
    signature = _Base64(required=True)
    public_key = _Base64(required=True)
    #: Absent in exports made before revocations were signed: read as null.
    revocation = fields.Nested(RevocationSchema, allow_none=True, load_default=None)


def export_json(release: Release, centre_code: str) -> dict[str, Any]:
    """The JSON export of a published (or revoked) release."""
    if release.status not in (ReleaseStatus.PUBLISHED, ReleaseStatus.REVOKED):
        raise ValueError("only a published release is exported")
    if release.decided_at is None:
        raise ValueError("a published release has its publication time")
    data = {
        "format": EXPORT_FORMAT,
        "release_id": release.id,
        "centre": centre_code,
        "period": release.period,
        "catalogue_version": release.catalogue_version,
        "k": release.k,
        "status": release.status,
        "revoked": release.status == ReleaseStatus.REVOKED,
        "published_at": release.decided_at.isoformat(),
        "content": json.loads(release.content),
        "content_sha256": release.content_hash,
        "signature": release.signature,
        "public_key": release.public_key,
        "revocation": _revocation(release),
    }
    dumped: dict[str, Any] = ReleaseExportSchema().dump(data)
    return dumped


def _revocation(release: Release) -> dict[str, Any] | None:
    if release.status != ReleaseStatus.REVOKED:
        return None
    if release.revocation is None or release.revocation_signature is None:
        # Revoked before revocations were signed (migration 0009): the export says revoked
        # and fails verification, which is the honest answer.
        return None
    document: dict[str, Any] = json.loads(release.revocation)
    document.pop("format", None)  # the schema's constant; verify_export puts it back
    return {
        "format": signing.REVOCATION_FORMAT,
        **document,
        "signature": release.revocation_signature,
    }


def verify_export(data: Mapping[str, Any], public_key: bytes | None = None) -> dict[str, Any]:
    """Load an export and check its hash, signature and status (against ``public_key`` where
    the reader knows the centre's key, else against the key in the export). A status of
    "revoked" holds only with a revocation signed by the same key for the same release; a
    valid revocation next to the status "published" is refused too. The verified status is
    the returned ``status``. Raises ValidationError with a field-level message when anything
    does not match.

    An export taken before a revocation still verifies as published: only the source knows
    the current status."""
    try:
        # A lone surrogate ("\ud800") is valid JSON but no UTF-8: hashing or signing it would
        # raise UnicodeEncodeError instead of a refusal (found by fuzzing the packages).
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError({"_schema": ["text that is not valid Unicode"]}) from None
    loaded: dict[str, Any] = ReleaseExportSchema().load(data)
    # The hash is taken over the content as given, not as loaded: loading could normalise
    # a tampered value into the signed one, and the reader then acts on the raw JSON.
    if signing.content_hash(data["content"]) != loaded["content_sha256"]:
        raise ValidationError({"content_sha256": ["does not match the content"]})
    if public_key is not None and loaded["public_key"] != public_key:
        raise ValidationError({"public_key": ["not the centre's registered key"]})
    document = signing.signed_document(
        centre_code=loaded["centre"],
        period=loaded["period"],
        catalogue_version=loaded["catalogue_version"],
        k=loaded["k"],
        content_hash=loaded["content_sha256"],
        published_at=loaded["published_at"],
    )
    if not signing.verify(loaded["public_key"], loaded["signature"], document):
        raise ValidationError({"signature": ["does not verify"]})
    if (
        loaded["content"]["period"] != loaded["period"]
        or loaded["content"]["centre"] != loaded["centre"]
    ):
        raise ValidationError({"content": ["period or centre differ from the signed ones"]})
    _verify_status(loaded)
    return loaded


def _verify_status(loaded: Mapping[str, Any]) -> None:
    revoked = loaded["status"] == ReleaseStatus.REVOKED
    if loaded["revoked"] != revoked:
        raise ValidationError({"revoked": ["does not match the status"]})
    revocation = loaded["revocation"]
    if revocation is None:
        if revoked:
            raise ValidationError({"revocation": ["a revoked release needs its signed revocation"]})
        return
    if not revoked:
        raise ValidationError({"status": ["a revoked release is exported as published"]})
    for field, name in (
        ("centre", "centre"),
        ("period", "period"),
        ("content_sha256", "content_sha256"),
        ("published_at", "published_at"),
    ):
        if revocation[field] != loaded[name]:
            raise ValidationError({"revocation": [f"{field} differs from the release's"]})
    document = signing.revocation_document(
        centre_code=revocation["centre"],
        period=revocation["period"],
        content_hash=revocation["content_sha256"],
        published_at=revocation["published_at"],
        revoked_at=revocation["revoked_at"],
        reason_hmac=revocation["reason_hmac_sha256"],
    )
    if not signing.verify(loaded["public_key"], revocation["signature"], document):
        raise ValidationError({"revocation": ["signature does not verify"]})


def _cell(value: int | None) -> str:
    return SUPPRESSED if value is None else str(value)


#: A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV
#: injection"); district names are typed by administrators, so every text cell is escaped.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading apostrophe before a formula start.
    Counts never need it (they are ``_cell``'s digits or "•", never negative)."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def table_csv(table: Mapping[str, Any]) -> str:
    """One table as CSV (semicolon-separated, as German spreadsheets expect): a header with
    the column labels and "Gesamt", one line per row, the total line last."""
    cols = [col["code"] for col in table["cols"]]
    values = {(f["row"], f["col"]): f["value"] for f in table["figures"]}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([f"# {table['title']}"])  # "#" first: never a formula
    writer.writerow([f"# Zählbasis: {table['basis_label']}"])
    writer.writerow(
        [f"# Mehrfachnennungen möglich: {'ja' if table['multiple_answers'] else 'nein'}"]
    )
    writer.writerow([f"# {SUPPRESSED} = zum Schutz vor Rückrechnung nicht veröffentlicht"])
    header = ["", *(text_cell(col["label"]) for col in table["cols"])]
    has_margin = any(row is None for row, _ in values)
    writer.writerow([*header, "Gesamt"] if cols else ["", "Anzahl"])

    def cell(position: tuple[str | None, str | None]) -> str:
        # A cell the table does not have (nobody can be in it) is empty, never "•".
        return _cell(values[position]) if position in values else ""

    for row in table["rows"]:
        line = [text_cell(row["label"]), *(cell((row["code"], col)) for col in cols)]
        line.append(cell((row["code"], None)))
        writer.writerow(line)
    if has_margin:
        total = ["Gesamt", *(_cell(values.get((None, col))) for col in cols)]
        total.append(_cell(values.get((None, None))))
        writer.writerow(total)
    return out.getvalue()


#: The DeZIM/ADS minimum-standard dimensions (period is the release's) and the tables that
#: carry them.
DEZIM_DIMENSIONS = (
    ("lebensbereich", "lebensbereiche"),
    ("merkmal", "merkmale"),
    ("form", "formen"),
    ("intervention", "interventionen"),
    ("agg_relevanz", "agg_relevanz"),
)


def dezim_csv(content: Mapping[str, Any]) -> str:
    """The release along the DeZIM dimensions, long format: period, dimension, code, label,
    count ("•" where suppressed), counting basis, multiple answers."""
    tables = {table["id"]: table for table in content["tables"]}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["zeitraum", "dimension", "code", "bezeichnung", "anzahl", "zaehlbasis", "mehrfach"]
    )
    for name, table_id in DEZIM_DIMENSIONS:
        table = tables.get(table_id)
        if table is None:
            continue
        values = {f["row"]: f["value"] for f in table["figures"] if f["col"] is None}
        for row in table["rows"]:
            writer.writerow(
                [
                    content["period"],
                    name,
                    row["code"],
                    text_cell(row["label"]),
                    _cell(values.get(row["code"])),
                    table["basis"],
                    "ja" if table["multiple_answers"] else "nein",
                ]
            )
    return out.getvalue()


def iter_table_csvs(content: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for table in content["tables"]:
        yield table["id"], table_csv(table)
