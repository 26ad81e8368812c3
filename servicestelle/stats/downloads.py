"""Export downloads of a published (or revoked) release: file names, the ZIP of all table
CSVs, and the audit entry every download writes.

The documents themselves are exports.py's; this module only packs them for a browser or an
API client. A download is recorded (``stats:release:export``, details: the format and, for
one table, its id) because published figures leave the system with it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import make_response
from werkzeug.wrappers import Response

from servicestelle.stats.exports import iter_table_csvs

#: The formats a release is downloaded in (the audit entry names one of them).
#: German spreadsheet programs read a CSV as UTF-8 only with the byte-order mark.
CSV_ENCODING = "utf-8-sig"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def filename(centre_code: str, period: str, suffix: str) -> str:
    """ "statistik-<centre>-<period>[-<part>].<ext>", ASCII only (a header value)."""
    stem = "-".join(_UNSAFE.sub("_", part) for part in ("statistik", centre_code, period) if part)
    return f"{stem}{suffix}"


def attachment(name: str) -> str:
    return f'attachment; filename="{name}"'


def response(body: bytes, media_type: str, name: str) -> Response:
    """A download: the body as an attachment named ``name`` (nosniff and no-store come with
    every response, security.py)."""
    download = make_response(body)
    download.headers["Content-Type"] = media_type
    download.headers["Content-Disposition"] = attachment(name)
    return download


def csv_bytes(text: str) -> bytes:
    return text.encode(CSV_ENCODING)


def tables_zip(content: Mapping[str, Any], centre_code: str, published_at: datetime) -> bytes:
    """Every table's CSV in one ZIP; entries dated with the publication, so the same release
    always gives the same bytes."""
    stamp = published_at.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table_id, text in iter_table_csvs(content):
            entry = zipfile.ZipInfo(
                filename(centre_code, content["period"], f"-{table_id}.csv"),
                date_time=(max(stamp[0], 1980), *stamp[1:]),
            )
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, csv_bytes(text))
    return out.getvalue()
