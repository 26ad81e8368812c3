"""Property tests of two upload parsers that read what a user sends: the district-profile CSV
(centres/profile_import.parse) and the type sniffing of case documents (cases/filetypes.sniff,
which opens ZIP directories). Any bytes give a result that keeps the parser's promises or the
declared error (``ProfileFileError``, ``UnsupportedFileType``) — never csv.Error, a
decimal.InvalidOperation, zipfile.BadZipFile or struct.error.

No database: not parametrised by backend.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from servicestelle.cases import filetypes
from servicestelle.cases.filetypes import UnsupportedFileType
from servicestelle.centres import profile_import
from servicestelle.centres.profile_import import ProfileFileError

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=100)

REGISTER = {
    "innenstadt_nord": "Innenstadt-Nord",
    "huckarde": "Huckarde",
    "loettringhausen": "Löttringhausen",
}
COLUMNS = [
    *profile_import.REQUIRED,
    *profile_import.ALIASES,
    *profile_import.OPTIONAL_COLUMNS,
    "CODE",
    " Name ",
    "",
    "unbekannt",
]
numbers = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{3}){0,3}(,[0-9]{0,3})?", fullmatch=True),
    st.sampled_from(["1.234", "1.23", "12,5", "1e5", "∞", "\u221242", "NaN", "0x10", " 7 ", "٣"]),
)
cells = st.one_of(
    numbers,
    st.sampled_from([*REGISTER, *REGISTER.values(), "huckarde ", "HUCKARDE", ""]),
    st.text(max_size=12),
    st.just('"quoted;cell"'),
    st.just('unterminated "quote'),
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """Files shaped like a statistics office's export: a header, rows, either separator."""
    separator = draw(st.sampled_from([";", ",", "\t"]))
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6))
    width = len(header)
    rows = draw(
        st.lists(
            st.lists(cells, min_size=max(0, width - 1), max_size=width + 1), min_size=0, max_size=5
        )
    )
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(separator.join(line) for line in [header, *rows])
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + text).encode("utf-8", "surrogatepass")


def _keeps_its_promises(parsed: profile_import.Parsed) -> None:
    codes = [row.code for row in parsed.rows]
    assert len(set(codes)) == len(codes) and set(codes) <= set(REGISTER)
    assert all(0 <= row.population <= profile_import.MAX_COUNT for row in parsed.rows)
    for row in parsed.rows:
        for column, value in row.extra.items():
            assert column in parsed.columns
            if profile_import.OPTIONAL_COLUMNS[column].kind == "percent":
                assert Decimal(0) <= value <= Decimal(100)
            else:
                assert value >= 0 and value == value.to_integral_value()


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), csv_files()))
def test_any_profile_file_is_imported_keeping_its_promises_or_refused_in_words(data):
    try:
        parsed = profile_import.parse(data, REGISTER)
    except ProfileFileError as error:
        problems = error.problems
    else:
        _keeps_its_promises(parsed)
        return
    assert problems and all(isinstance(problem, str) for problem in problems)


def test_the_shaped_profile_files_can_be_imported():
    """The strategy is not vacuous: a file it can draw is imported."""
    data = b"code;name;einwohner\nhuckarde;Huckarde;1.000\n"
    assert profile_import.parse(data, REGISTER).rows[0].population == 1000


# --- document type sniffing ------------------------------------------------------------------


def _zip(entries: list[tuple[str, bytes]], compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX_TYPES = (
    b'<Override ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml'
    b'.document.main+xml"/>'
)
zip_entries = st.lists(
    st.tuples(
        st.sampled_from(
            ["mimetype", "[Content_Types].xml", "word/document.xml", "xl/workbook.xml", "x"]
        ),
        st.one_of(
            st.binary(max_size=60),
            st.sampled_from([DOCX_TYPES, b"application/vnd.oasis.opendocument.text"]),
        ),
    ),
    max_size=4,
    unique_by=lambda entry: entry[0],
)


@st.composite
def damaged_zips(draw: st.DrawFn) -> bytes:
    """A real ZIP (maybe an office document) with a few bytes overwritten or cut."""
    compression = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    data = bytearray(_zip(draw(zip_entries), compression))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data[position] = draw(st.integers(min_value=0, max_value=255))
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    return bytes(data[: max(cut, 4)]) if draw(st.booleans()) else bytes(data)


@FUZZ
@given(content=st.one_of(st.binary(max_size=200), damaged_zips()))
def test_any_upload_is_an_allowed_type_or_refused(content):
    try:
        found = filetypes.sniff(content)
    except UnsupportedFileType:
        return
    assert found in filetypes.ALLOWED


def test_the_zip_strategy_reaches_office_documents():
    docx = _zip([("[Content_Types].xml", DOCX_TYPES), ("word/document.xml", b"")], 8)
    assert filetypes.sniff(docx) is filetypes.DOCX
