"""The record of processing activities (GDPR Art. 30(1)) from a versioned TOML file.

The centre keeps its own file (``SERVICESTELLE_PROCESSING_RECORD_FILE``); without one, the
bundled template in ``data/`` is shown, marked as such. Every item (a)–(g) of Art. 30(1) is a
table of the file; what is missing or malformed is named in German on the page instead of
failing, so the DPO sees exactly what to fix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

BUNDLED = Path(__file__).resolve().parent / "data" / "verarbeitungsverzeichnis.toml"
#: Upper bound for the file: it is read on every page view.
MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: LazyString
    required: bool = True


@dataclass(frozen=True)
class ItemSpec:
    letter: str
    key: str
    title: LazyString
    fields: tuple[FieldSpec, ...]


ITEMS: tuple[ItemSpec, ...] = (
    ItemSpec(
        "a",
        "controller",
        _l("Verantwortliche Stelle und Datenschutzbeauftragte*r"),
        (
            FieldSpec("name", _l("Verantwortliche Stelle")),
            FieldSpec("contact", _l("Kontaktdaten")),
            FieldSpec("joint_controllers", _l("Gemeinsam Verantwortliche"), required=False),
            FieldSpec("representative", _l("Vertreter (Art. 27 DSGVO)"), required=False),
            FieldSpec("dpo", _l("Datenschutzbeauftragte*r")),
        ),
    ),
    ItemSpec(
        "b",
        "purposes",
        _l("Zwecke der Verarbeitung"),
        (
            FieldSpec("purposes", _l("Zwecke")),
            FieldSpec("legal_basis", _l("Rechtsgrundlagen"), required=False),
        ),
    ),
    ItemSpec(
        "c",
        "categories",
        _l("Kategorien betroffener Personen und personenbezogener Daten"),
        (
            FieldSpec("data_subjects", _l("Betroffene Personen")),
            FieldSpec("personal_data", _l("Personenbezogene Daten")),
            FieldSpec("special_categories", _l("Besondere Kategorien (Art. 9 DSGVO)")),
        ),
    ),
    ItemSpec(
        "d",
        "recipients",
        _l("Kategorien von Empfängern"),
        (FieldSpec("recipients", _l("Empfänger")),),
    ),
    ItemSpec(
        "e",
        "transfers",
        _l("Übermittlungen in Drittländer oder an internationale Organisationen"),
        (
            FieldSpec("third_countries", _l("Drittländer und internationale Organisationen")),
            FieldSpec("safeguards", _l("Geeignete Garantien"), required=False),
        ),
    ),
    ItemSpec(
        "f",
        "erasure",
        _l("Fristen für die Löschung"),
        (FieldSpec("time_limits", _l("Löschfristen")),),
    ),
    ItemSpec(
        "g",
        "measures",
        _l("Technische und organisatorische Maßnahmen (Art. 32 DSGVO)"),
        (
            FieldSpec("technical", _l("Technische Maßnahmen")),
            FieldSpec("organisational", _l("Organisatorische Maßnahmen")),
        ),
    ),
)


@dataclass(frozen=True)
class Item:
    """One item (a)–(g) as shown: labelled values, each a list of paragraphs."""

    letter: str
    title: str
    entries: list[tuple[str, tuple[str, ...]]]
    is_missing: bool = False


@dataclass(frozen=True)
class ProcessingRecord:
    source: Path
    is_bundled: bool
    name: str | None = None
    version: str | None = None
    valid_from: date | None = None
    items: list[Item] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load(path: Path | None) -> ProcessingRecord:
    """Read and check the record; problems become German messages, never exceptions."""
    source = path or BUNDLED
    is_bundled = path is None
    try:
        with source.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError:
        problem = _l("Die Datei %(path)s kann nicht gelesen werden.", path=str(source))
        return ProcessingRecord(source, is_bundled, problems=[str(problem)])
    if len(raw) > MAX_BYTES:
        problem = _l("Die Datei %(path)s ist größer als 256 KiB.", path=str(source))
        return ProcessingRecord(source, is_bundled, problems=[str(problem)])
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        problem = _l("Die Datei %(path)s ist nicht in UTF-8 gespeichert.", path=str(source))
        return ProcessingRecord(source, is_bundled, problems=[str(problem)])
    except tomllib.TOMLDecodeError as exc:
        problem = _l(
            "Die Datei %(path)s ist kein gültiges TOML (%(error)s).", path=str(source), error=exc
        )
        return ProcessingRecord(source, is_bundled, problems=[str(problem)])
    return _checked(source, is_bundled, data)


def _checked(source: Path, is_bundled: bool, data: dict[str, Any]) -> ProcessingRecord:
    problems: list[str] = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(str(_l("Die Angabe „name“ (Bezeichnung der Verarbeitung) fehlt.")))
        name = None
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        problems.append(str(_l("Die Angabe „version“ fehlt.")))
        version = None
    valid_from = data.get("valid_from")
    if not isinstance(valid_from, date):
        problems.append(
            str(
                _l(
                    "Die Angabe „valid_from“ fehlt oder ist kein Datum (JJJJ-MM-TT, ohne Anführungszeichen)."
                )
            )
        )
        valid_from = None
    items = [_item(spec, data.get(spec.key), problems) for spec in ITEMS]
    return ProcessingRecord(source, is_bundled, name, version, valid_from, items, problems)


def _item(spec: ItemSpec, table: object, problems: list[str]) -> Item:
    title = str(spec.title)
    if not isinstance(table, dict):
        problems.append(
            str(
                _l(
                    "Punkt %(letter)s) „%(title)s“ fehlt (Abschnitt [%(key)s]).",
                    letter=spec.letter,
                    title=title,
                    key=spec.key,
                )
            )
        )
        return Item(spec.letter, title, [], is_missing=True)
    entries: list[tuple[str, tuple[str, ...]]] = []
    for field_spec in spec.fields:
        values = _texts(table.get(field_spec.key))
        if values is None:
            problems.append(
                str(
                    _l(
                        "Punkt %(letter)s) „%(title)s“: „%(field)s“ (%(key)s) muss ein Text oder eine Liste von Texten sein.",
                        letter=spec.letter,
                        title=title,
                        field=field_spec.label,
                        key=f"{spec.key}.{field_spec.key}",
                    )
                )
            )
        elif values:
            entries.append((str(field_spec.label), values))
        elif field_spec.required:
            problems.append(
                str(
                    _l(
                        "Punkt %(letter)s) „%(title)s“: „%(field)s“ (%(key)s) fehlt oder ist leer.",
                        letter=spec.letter,
                        title=title,
                        field=field_spec.label,
                        key=f"{spec.key}.{field_spec.key}",
                    )
                )
            )
    return Item(spec.letter, title, entries)


def _texts(value: object) -> tuple[str, ...] | None:
    """A text or a list of texts as a tuple of non-empty texts; None for anything else."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(item.strip() for item in value if item.strip())
    return None
