"""Reading a city statistics office's CSV of district figures (no database, no Flask app
needed beyond the German messages).

The file: UTF-8 (with or without byte-order mark), ``;`` or ``,`` between fields, a header
line, then one line per district::

    code;name;einwohner;anteil_auslaendisch
    innenstadt_nord;Innenstadt-Nord;58.123;41,7

``code`` and ``name`` must both match the centre's district register: a name that differs
from the register's usually means the codes were shifted by a line, so the file is refused
rather than warned about (what is imported feeds published rates). Names are compared without
regard to case, spaces, hyphens and the spelling of umlauts ("Huckarde" = "huckarde",
"Löttringhausen" = "Loettringhausen").

Numbers may be written the German way ("12.345", "23,4") or with a decimal point ("23.4").
A point followed by exactly three digits is a thousands separator ("1.234" is 1234), as in
German. Everything is checked before anything is saved; every problem is reported with its
line number, and one problem means nothing is imported.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

#: The largest file accepted (a city has a few hundred districts at most).
MAX_BYTES = 1_000_000
MAX_ROWS = 5_000
#: The largest number a row may hold (residents, counts): more than Germany has, so only a
#: typing error is refused. A file's total can exceed a 32-bit integer (profile_models.py).
MAX_COUNT = 100_000_000
#: Problems listed at most; the rest are counted.
MAX_ERRORS = 50
#: Longest piece of a cell quoted back in a message.
QUOTE_MAX = 40

REQUIRED = ("code", "name", "einwohner")
#: Other spellings of the required columns that statistics offices use.
ALIASES = {
    "einwohnerzahl": "einwohner",
    "bevoelkerung": "einwohner",
    "bevölkerung": "einwohner",
    "stadtteil": "name",
    "bezeichnung": "name",
}


@dataclass(frozen=True)
class OptionalColumn:
    code: str
    label: LazyString
    #: "percent" (0 to 100, decimals allowed) or "count" (a whole number ≥ 0).
    kind: str


#: The optional columns a profile may have, in the order pages show them.
OPTIONAL_COLUMNS: dict[str, OptionalColumn] = {
    column.code: column
    for column in (
        OptionalColumn(
            "anteil_auslaendisch", _l("Anteil ausländischer Staatsangehöriger (%)"), "percent"
        ),
        OptionalColumn(
            "anteil_einwanderungsgeschichte",
            _l("Anteil mit Einwanderungsgeschichte (%)"),
            "percent",
        ),
        OptionalColumn("anteil_unter_18", _l("Anteil unter 18 Jahren (%)"), "percent"),
        OptionalColumn("anteil_18_bis_64", _l("Anteil 18 bis 64 Jahre (%)"), "percent"),
        OptionalColumn("anteil_ab_65", _l("Anteil 65 Jahre und älter (%)"), "percent"),
        OptionalColumn("einwohner_unter_18", _l("Einwohner unter 18 Jahren"), "count"),
        OptionalColumn("einwohner_18_bis_64", _l("Einwohner 18 bis 64 Jahre"), "count"),
        OptionalColumn("einwohner_ab_65", _l("Einwohner 65 Jahre und älter"), "count"),
        OptionalColumn("sgb2_quote", _l("SGB-II-Quote (%)"), "percent"),
        OptionalColumn("arbeitslosenquote", _l("Arbeitslosenquote (%)"), "percent"),
    )
}


@dataclass(frozen=True)
class Row:
    line: int
    code: str
    population: int
    #: Optional column code → value (only the columns given on this line).
    extra: dict[str, Decimal]


@dataclass(frozen=True)
class Parsed:
    #: The optional columns of the file, in its order.
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


class ProfileFileError(ValueError):
    """The file cannot be imported; ``problems`` says why, in German, line by line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- numbers ----------------------------------------------------------------------------------

_GROUPED = r"[0-9]{1,3}(?:\.[0-9]{3})+"
_WHOLE = re.compile(rf"(?:{_GROUPED}|[0-9]+)")
_DECIMAL_COMMA = re.compile(rf"(?:{_GROUPED}|[0-9]+),[0-9]+")
#: A decimal point: any number of decimals but three (three would be thousands).
_DECIMAL_POINT = re.compile(r"[0-9]+\.(?:[0-9]{1,2}|[0-9]{4,})")
_MINUS = ("-", "\u2212")


class NotANumber(ValueError):
    pass


def parse_number(text: str) -> Decimal:
    """A number as statistics offices write it; raises NotANumber for anything else."""
    body = text.strip()
    negative = body.startswith(_MINUS)
    if negative:
        body = body[1:].strip()
    if _WHOLE.fullmatch(body) or _DECIMAL_COMMA.fullmatch(body):
        body = body.replace(".", "").replace(",", ".")
    elif not _DECIMAL_POINT.fullmatch(body):
        raise NotANumber(text)
    try:
        value = Decimal(body)
    except InvalidOperation:  # pragma: no cover - the patterns only let digits through
        raise NotANumber(text) from None
    return -value if negative else value


# --- the file ---------------------------------------------------------------------------------


def quoted(text: str) -> str:
    """A cell as a message quotes it: shortened, control characters dropped."""
    clean = "".join(char for char in text if unicodedata.category(char)[0] != "C").strip()
    return clean if len(clean) <= QUOTE_MAX else clean[: QUOTE_MAX - 1] + "…"


def name_key(name: str) -> str:
    """A district name as the comparison sees it: case, spaces, hyphens, umlaut spelling."""
    text = unicodedata.normalize("NFC", name).casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    return "".join(char for char in text if char.isalnum())


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ProfileFileError([str(_l("Die Datei ist leer."))])
    if len(data) > MAX_BYTES:
        raise ProfileFileError(
            [str(_l("Die Datei ist größer als %(size)s MB.", size=MAX_BYTES // 1_000_000))]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProfileFileError(
            [
                str(
                    _l(
                        "Die Datei ist nicht UTF-8-kodiert. Bitte speichern Sie sie als "
                        "„CSV UTF-8“ und laden Sie sie erneut hoch."
                    )
                )
            ]
        ) from None
    if "\x00" in text:
        raise ProfileFileError([str(_l("Das ist keine Textdatei (CSV)."))])
    return text


def _header(cells: list[str], line: int) -> tuple[dict[str, int], list[str]]:
    """Column code → position, and the problems of the header line."""
    problems: list[str] = []
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip().casefold()
        name = ALIASES.get(name, name)
        if not name:
            problems.append(
                str(_l("Zeile %(line)d: Eine Spalte hat keine Überschrift.", line=line))
            )
        elif name in positions:
            problems.append(
                str(
                    _l(
                        "Zeile %(line)d: Die Spalte „%(name)s“ steht zweimal in der Kopfzeile.",
                        line=line,
                        name=quoted(cell),
                    )
                )
            )
        elif name not in REQUIRED and name not in OPTIONAL_COLUMNS:
            problems.append(
                str(
                    _l(
                        "Zeile %(line)d: Die Spalte „%(name)s“ ist unbekannt. Möglich sind "
                        "code, name, einwohner und %(optional)s.",
                        line=line,
                        name=quoted(cell),
                        optional=", ".join(OPTIONAL_COLUMNS),
                    )
                )
            )
        else:
            positions[name] = index
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        problems.append(
            str(
                _l(
                    "Zeile %(line)d: Die Kopfzeile braucht die Spalten code, name und einwohner; "
                    "es fehlt: %(missing)s.",
                    line=line,
                    missing=", ".join(missing),
                )
            )
        )
    return positions, problems


def _delimiter(first_line: str) -> str:
    return ";" if ";" in first_line else ","


def parse(data: bytes, register: Mapping[str, str]) -> Parsed:
    """The rows of a file, checked against the register (code → name, retired ones too).
    Raises ProfileFileError with every problem found."""
    text = _decode(data)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    problems: list[str] = []
    header: list[str] | None = None
    header_line = 0
    positions: dict[str, int] = {}
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (often at the end) carry nothing
            if header is None:
                header, header_line = cells, line
                positions, header_problems = _header(cells, line)
                if header_problems:
                    raise ProfileFileError(header_problems)
                continue
            if len(rows) >= MAX_ROWS:
                raise ProfileFileError(
                    [str(_l("Die Datei hat mehr als %(max)d Zeilen.", max=MAX_ROWS))]
                )
            row = _row(cells, line, len(header), positions, register, seen, problems)
            if row is not None:
                rows.append(row)
                seen[row.code] = line
    except csv.Error:
        problems.append(
            str(_l("Zeile %(line)d: Die Zeile ist kein gültiges CSV.", line=reader.line_num))
        )
    if header is None:
        raise ProfileFileError([str(_l("Die Datei ist leer."))])
    if not rows and not problems:
        problems.append(
            str(
                _l(
                    "Unter der Kopfzeile (Zeile %(line)d) steht keine Zeile mit Zahlen.",
                    line=header_line,
                )
            )
        )
    if problems:
        if len(problems) > MAX_ERRORS:
            rest = len(problems) - MAX_ERRORS
            problems = [
                *problems[:MAX_ERRORS],
                str(_l("… und %(count)d weitere Probleme.", count=rest)),
            ]
        raise ProfileFileError(problems)
    columns = tuple(
        sorted(
            (name for name in positions if name in OPTIONAL_COLUMNS),
            key=lambda name: positions[name],
        )
    )
    return Parsed(columns=columns, rows=tuple(rows))


def _row(
    cells: list[str],
    line: int,
    width: int,
    positions: Mapping[str, int],
    register: Mapping[str, str],
    seen: Mapping[str, int],
    problems: list[str],
) -> Row | None:
    """One line's figures, or None with its problems appended."""
    if len(cells) != width:
        problems.append(
            str(
                _l(
                    "Zeile %(line)d: %(found)d Felder statt %(wanted)d wie in der Kopfzeile.",
                    line=line,
                    found=len(cells),
                    wanted=width,
                )
            )
        )
        return None
    before = len(problems)
    code = cells[positions["code"]].strip()
    name = cells[positions["name"]].strip()
    if not code:
        problems.append(str(_l("Zeile %(line)d: Der Code fehlt.", line=line)))
    elif code not in register:
        problems.append(
            str(
                _l(
                    "Zeile %(line)d: Den Code „%(code)s“ gibt es im Register Ihrer "
                    "Beratungsstelle nicht.",
                    line=line,
                    code=quoted(code),
                )
            )
        )
    elif code in seen:
        problems.append(
            str(
                _l(
                    "Zeile %(line)d: Der Code „%(code)s“ steht schon in Zeile %(earlier)d.",
                    line=line,
                    code=quoted(code),
                    earlier=seen[code],
                )
            )
        )
    elif name_key(name) != name_key(register[code]):
        problems.append(
            str(
                _l(
                    "Zeile %(line)d: Der Name „%(name)s“ passt nicht zum Code „%(code)s“ "
                    "(im Register: „%(registered)s“).",
                    line=line,
                    name=quoted(name),
                    code=quoted(code),
                    registered=register[code],
                )
            )
        )
    population = _population(cells[positions["einwohner"]], line, problems)
    extra: dict[str, Decimal] = {}
    for column, index in positions.items():
        spec = OPTIONAL_COLUMNS.get(column)
        if spec is not None and cells[index].strip():
            value = _optional(spec, cells[index], line, problems)
            if value is not None:
                extra[column] = value
    if len(problems) > before or population is None:
        return None
    return Row(line=line, code=code, population=population, extra=extra)


def _population(cell: str, line: int, problems: list[str]) -> int | None:
    if not cell.strip():
        problems.append(str(_l("Zeile %(line)d: Die Einwohnerzahl fehlt.", line=line)))
        return None
    try:
        value = parse_number(cell)
    except NotANumber:
        value = None
    if value is None or value != value.to_integral_value():
        problems.append(
            str(
                _l(
                    "Zeile %(line)d: Die Einwohnerzahl „%(value)s“ ist keine ganze Zahl.",
                    line=line,
                    value=quoted(cell),
                )
            )
        )
        return None
    if value < 0:
        problems.append(
            str(
                _l(
                    "Zeile %(line)d: Die Einwohnerzahl „%(value)s“ ist negativ.",
                    line=line,
                    value=quoted(cell),
                )
            )
        )
        return None
    if value > MAX_COUNT:
        problems.append(
            str(_l("Zeile %(line)d: Die Einwohnerzahl ist unplausibel groß.", line=line))
        )
        return None
    return int(value)


def _optional(spec: OptionalColumn, cell: str, line: int, problems: list[str]) -> Decimal | None:
    try:
        value = parse_number(cell)
    except NotANumber:
        problems.append(
            str(
                _l(
                    "Zeile %(line)d, Spalte %(column)s: „%(value)s“ ist keine Zahl.",
                    line=line,
                    column=spec.code,
                    value=quoted(cell),
                )
            )
        )
        return None
    if spec.kind == "percent" and not Decimal(0) <= value <= Decimal(100):
        problems.append(
            str(
                _l(
                    "Zeile %(line)d, Spalte %(column)s: Ein Anteil in Prozent liegt zwischen "
                    "0 und 100, nicht bei „%(value)s“.",
                    line=line,
                    column=spec.code,
                    value=quoted(cell),
                )
            )
        )
        return None
    if spec.kind == "count" and (
        value < 0 or value != value.to_integral_value() or value > MAX_COUNT
    ):
        problems.append(
            str(
                _l(
                    "Zeile %(line)d, Spalte %(column)s: „%(value)s“ ist keine ganze Zahl ab 0.",
                    line=line,
                    column=spec.code,
                    value=quoted(cell),
                )
            )
        )
        return None
    return value
