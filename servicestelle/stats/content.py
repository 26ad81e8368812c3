"""The frozen content of a release: its tables as plain JSON, suppressed cells as null.

The content is what the approver approves, what the content hash and the signature cover
and what every export is made from. Labels are stored in German (the release is a
publication of a German centre) next to the codes, so the document explains itself.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from flask_babel import force_locale, get_locale

from servicestelle import catalogue
from servicestelle.stats.keys import Key, Layout
from servicestelle.stats.periods import Period
from servicestelle.stats.tables import (
    BASIS_LABELS,
    CATALOGUE_VERSION,
    DIMENSIONS,
    REPEATED,
    TABLES_BY_ID,
    Basis,
    Dimensions,
    multiple_answers,
)

CONTENT_FORMAT = "servicestelle.release-content/1"
#: The language of the stored labels (build() forces it).
CONTENT_LANGUAGE = "de"
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


def localised(content: Mapping[str, Any]) -> dict[str, Any]:
    """The content with its labels in the reader's language: for pages only.

    The stored labels stay German (what was approved, hashed and signed, and what exports
    carry). A page in another language shows the catalogue's labels of the same codes; a
    table or code the catalogue no longer knows (an older release) and a centre's own
    districts (names, not terms) keep the stored label.
    """
    locale = get_locale()
    if locale is None or locale.language == CONTENT_LANGUAGE:
        return dict(content)
    return {**content, "tables": [_localised_table(table) for table in content["tables"]]}


#: The codes every dimension may have, a centre's districts too.
GENERIC: Mapping[str, object] = {
    catalogue.ANDERES.code: catalogue.ANDERES.label,
    catalogue.KEINE_ANGABE.code: catalogue.KEINE_ANGABE.label,
}


def _localised_table(table: Mapping[str, Any]) -> Mapping[str, Any]:
    known = TABLES_BY_ID.get(table["id"])
    if known is None:
        return table
    basis_labels: Mapping[str, object] = {
        basis.value: label for basis, label in BASIS_LABELS.items()
    }

    def relabel(
        dimension: str | None, entries: Sequence[Mapping[str, str]]
    ) -> list[dict[str, str]]:
        dim = DIMENSIONS.get(dimension) if dimension is not None else None
        # A centre's own dimension (its districts) keeps its names, but not "Keine Angabe".
        labels = basis_labels if dimension is None else (dim.labels if dim is not None else GENERIC)
        return [
            {**entry, "label": str(labels[entry["code"]])}
            if entry["code"] in labels
            else dict(entry)
            for entry in entries
        ]

    basis = basis_labels.get(table["basis"])
    return {
        **table,
        "title": str(known.title),
        "basis_label": str(basis) if basis is not None else table["basis_label"],
        "note": str(known.note) if table.get("note") and known.note else table.get("note"),
        "rows": relabel(table.get("row_dimension"), table["rows"]),
        "cols": relabel(table.get("col_dimension"), table["cols"]) if table["cols"] else [],
    }


def localised_label(stored: str) -> str:
    """A figure's stored label ("Tabelle: Zeile / Spalte", German, as campaigns keep it) in
    the reader's language; parts the catalogue does not know stay as they were stored."""
    locale = get_locale()
    if locale is None or locale.language == CONTENT_LANGUAGE:
        return stored
    terms = _german_terms()
    for title in sorted(terms, key=len, reverse=True):  # the longest title that fits
        if stored.startswith(f"{title}: "):
            cell = stored[len(title) + 2 :]
            parts = [str(terms.get(part, part)) for part in cell.split(" / ")]
            return f"{terms[title]}: {' / '.join(parts)}"
    return stored


_GERMAN_TERMS: dict[str, object] = {}


def _german_terms() -> dict[str, object]:
    """German text → its lazy label: table titles, row and column labels, bases (built once;
    the German texts are the source strings and do not change while the process runs)."""
    if not _GERMAN_TERMS:
        lazy: list[object] = [table.title for table in TABLES_BY_ID.values()]
        lazy += list(BASIS_LABELS.values())
        lazy += [label for dim in DIMENSIONS.values() for label in dim.labels.values()]
        with force_locale(CONTENT_LANGUAGE):
            _GERMAN_TERMS.update({str(label): label for label in lazy})
    return _GERMAN_TERMS


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
