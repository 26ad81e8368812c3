"""The frozen content of a release: its tables as plain JSON, suppressed cells as null.

The content is what the approver approves, what the content hash and the signature cover
and what every export is made from. Labels are stored in German (the release is a
publication of a German centre) next to the codes, so the document explains itself.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from flask_babel import force_locale

from servicestelle.stats.keys import Key, Layout
from servicestelle.stats.periods import Period
from servicestelle.stats.tables import (
    BASIS_LABELS,
    CATALOGUE_VERSION,
    REPEATED,
    Basis,
    Dimensions,
    multiple_answers,
)

CONTENT_FORMAT = "servicestelle.release-content/1"
#: Shares are given only where the base is at least this large.
PERCENT_BASE = 20


def build(
    *,
    centre_code: str,
    period: Period,
    k: int,
    layouts: Sequence[Layout],
    values: Mapping[Key, int],
    suppressed: Collection[Key],
    dims: Dimensions,
) -> dict[str, Any]:
    with force_locale("de"):
        return {
            "format": CONTENT_FORMAT,
            "catalogue_version": CATALOGUE_VERSION,
            "centre": centre_code,
            "period": period.code,
            "period_label": period.label(),
            "k": k,
            "tables": [_table(lay, values, suppressed, dims) for lay in layouts],
        }


def _table(
    lay: Layout,
    values: Mapping[Key, int],
    suppressed: Collection[Key],
    dims: Dimensions,
) -> dict[str, Any]:
    table = lay.table
    respondents = table.basis in REPEATED

    def labelled(name: str | None, codes: Sequence[str]) -> list[dict[str, str]]:
        if name is None:
            return [{"code": code, "label": str(BASIS_LABELS[Basis(code)])} for code in codes]
        dim = dims[name]
        return [{"code": code, "label": dim.label_of(code)} for code in codes]

    row_dim = None if table.totals else table.rows
    return {
        "id": table.id,
        "title": str(table.title),
        "basis": table.basis.value,
        "basis_label": str(BASIS_LABELS[table.basis]),
        "unit": "respondents" if respondents else "cases",
        "multiple_answers": multiple_answers(table),
        "note": str(table.note) if table.note else None,
        "row_dimension": row_dim,
        "col_dimension": table.cols,
        "rows": labelled(row_dim, lay.row_codes),
        "cols": labelled(table.cols, lay.col_codes) if table.cols else [],
        "figures": [
            {
                "row": row,
                "col": col,
                "key": key.text,
                "value": None if key in suppressed else values[key],
            }
            for (row, col), key in lay.keys.items()
        ],
    }


def published_keys(content: Mapping[str, Any]) -> list[Key]:
    """The keys a release published (not suppressed)."""
    return [
        Key.parse(figure["key"])
        for table in content["tables"]
        for figure in table["figures"]
        if figure["value"] is not None
    ]


def published_values(content: Mapping[str, Any]) -> dict[Key, int]:
    """The figures a release published, by key."""
    return {
        Key.parse(figure["key"]): figure["value"]
        for table in content["tables"]
        for figure in table["figures"]
        if figure["value"] is not None
    }


def suppressed_keys(content: Mapping[str, Any]) -> list[Key]:
    """The keys a release suppressed."""
    return [
        Key.parse(figure["key"])
        for table in content["tables"]
        for figure in table["figures"]
        if figure["value"] is None
    ]


def share(value: int | None, base: int | None) -> float | None:
    """A percentage, only where both numbers are published and the base is >= 20."""
    if value is None or base is None or base < PERCENT_BASE:
        return None
    return round(100.0 * value / base, 1)
