"""Document types decided by content: allowed samples pass, markup, programs and damaged or
hostile ZIP files are refused, and a download name never carries the uploaded name."""

from __future__ import annotations

import inspect
import io
import struct
import tracemalloc
import zipfile

import pytest

from servicestelle.cases import filetypes
from servicestelle.cases.filetypes import (
    ALLOWED,
    DOCX,
    GIF,
    JPEG,
    ODT,
    PDF,
    PNG,
    TEXT,
    WEBP,
    XLSX,
    FileType,
    UnsupportedFileType,
    safe_download_name,
    sniff,
)

CAP = filetypes._MAX_MEMBER_BYTES

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
ODT_MIME = "application/vnd.oasis.opendocument.text"
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def content_types(main_part: str, content_type: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{content_type}"/></Types>'
    )


def make_zip(
    entries: list[tuple[str, str | bytes]], compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def make_docx(compression: int = zipfile.ZIP_DEFLATED, main: str = DOCX_MAIN) -> bytes:
    return make_zip(
        [
            ("[Content_Types].xml", content_types("word/document.xml", main)),
            ("_rels/.rels", "<Relationships/>"),
            ("word/document.xml", "<w:document><w:body>Absage</w:body></w:document>"),
        ],
        compression,
    )


def make_xlsx() -> bytes:
    return make_zip(
        [
            ("[Content_Types].xml", content_types("xl/workbook.xml", XLSX_MAIN)),
            ("_rels/.rels", "<Relationships/>"),
            ("xl/workbook.xml", "<workbook><sheets/></workbook>"),
            ("xl/worksheets/sheet1.xml", "<worksheet/>"),
        ]
    )


def make_odt(mimetype: str | bytes = ODT_MIME, compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # ODF: "mimetype" first, stored uncompressed as LibreOffice writes it.
        archive.writestr("mimetype", mimetype, compress_type=compression)
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def patch_entry(
    content: bytes,
    name: str,
    *,
    flag_bits: int | None = None,
    method: int | None = None,
    file_size: int | None = None,
) -> bytes:
    """Rewrite fields of one entry in both its local header and its directory record."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        local = archive.getinfo(name).header_offset
    central = data.find(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name.encode():
        central = data.find(b"PK\x01\x02", central + 1)
    for value, local_at, central_at, fmt in (
        (flag_bits, 6, 8, "<H"),
        (method, 8, 10, "<H"),
        (file_size, 22, 24, "<I"),
    ):
        if value is not None:
            struct.pack_into(fmt, data, local + local_at, value)
            struct.pack_into(fmt, data, central + central_at, value)
    return bytes(data)


SAMPLES: dict[str, tuple[bytes, FileType]] = {
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", PDF),
    "png": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00",
        PNG,
    ),
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", JPEG),
    "gif87a": (b"GIF87a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,", GIF),
    "gif89a": (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff;", GIF),
    "webp": (b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10", WEBP),
    "text": ("Gesprächsnotiz: Absage am 3. März.\r\n\tZeuge: ja\f\nÄußerung".encode(), TEXT),
    "text with BOM": (b"\xef\xbb\xbfNotiz\n", TEXT),
    "text quoting HTML late": (b"x" * 1500 + b"\n<html> im Zitat", TEXT),
    "docx": (make_docx(), DOCX),
    "docx stored": (make_docx(zipfile.ZIP_STORED), DOCX),
    "docx bzip2": (make_docx(zipfile.ZIP_BZIP2), DOCX),
    "docx lzma": (make_docx(zipfile.ZIP_LZMA), DOCX),
    "xlsx": (make_xlsx(), XLSX),
    "odt": (make_odt(), ODT),
}


@pytest.mark.parametrize(("content", "expected"), SAMPLES.values(), ids=SAMPLES.keys())
def test_allowed_samples_are_recognised(content: bytes, expected: FileType) -> None:
    assert sniff(content) is expected


def test_the_name_is_not_even_an_input() -> None:
    # A PDF uploaded as "beweis.png" is a PDF: sniff never sees the name or the browser's type.
    assert list(inspect.signature(sniff).parameters) == ["content"]
    assert sniff(SAMPLES["pdf"][0]) is PDF
    assert sniff(SAMPLES["png"][0]) is PNG


def test_allowed_types_are_distinct_and_labelled_in_german() -> None:
    assert len({filetype.extension for filetype in ALLOWED}) == len(ALLOWED)
    assert len({filetype.media_type for filetype in ALLOWED}) == len(ALLOWED)
    assert [filetype.label for filetype in ALLOWED] == [
        "PDF-Dokument",
        "PNG-Bild",
        "JPEG-Bild",
        "GIF-Bild",
        "WebP-Bild",
        "Textdatei",
        "Word-Dokument",
        "Excel-Tabelle",
        "OpenDocument-Text",
    ]


def refusal(content: bytes) -> str:
    with pytest.raises(UnsupportedFileType) as caught:
        sniff(content)
    assert str(caught.value) == (
        "Dieser Dateityp wird nicht angenommen "
        "(erlaubt: PDF, PNG, JPG, GIF, WEBP, TXT, DOCX, XLSX, ODT)."
    )
    assert isinstance(caught.value, ValueError)
    return caught.value.reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf", "empty"),  # a byte-order mark and nothing else
        # Markup a browser would render, anywhere in the sniffing window, in any case.
        (b"<!DOCTYPE html><html><body>Hallo</body></html>", "markup a browser would render"),
        (b"<HTML><p>Hallo</p></HTML>", "markup a browser would render"),
        (b"\n\n   <script>alert(1)</script>", "markup a browser would render"),
        (b"Notiz\n" * 100 + b"<ScRiPt src=x></script>", "markup a browser would render"),
        (b"<head><title>x</title></head>", "markup a browser would render"),
        (b"<body onload=alert(1)>", "markup a browser would render"),
        (b"<iframe src=https://example.org>", "markup a browser would render"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
            "markup a browser would render",
        ),
        (b'<?xml version="1.0"?>\n<svg/>', "markup a browser would render"),
        (b"\xef\xbb\xbf<html>", "markup a browser would render"),
        # Control characters: NUL, ESC (terminal escapes), BEL, vertical tab.
        (b"Notiz\x00mit NUL", "control characters in text"),
        (b"Notiz \x1b[31mrot", "control characters in text"),
        (b"\x07", "control characters in text"),
        (b"a\x0bb", "control characters in text"),
        # Not UTF-8: Latin-1, UTF-16, random binary.
        ("Grüße".encode("latin-1"), "neither a known format nor UTF-8 text"),
        ("Grüße".encode("utf-16"), "neither a known format nor UTF-8 text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(32), "neither a known format nor UTF-8 text"),
        # Programs, even if someone made one look like text.
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "executable"),
        (b"MZ ist kein Text", "executable"),
        (b"\x7fELF\x02\x01\x01\x00", "executable"),
        # A signature counts only at offset 0, and RIFF alone is not WebP.
        (b"\x00%PDF-1.7", "control characters in text"),
        (b"RIFF\x1a\x00\x00\x00AVI LIST", "control characters in text"),
    ],
)
def test_refused_content(content: bytes, reason: str) -> None:
    assert refusal(content) == reason


def test_a_near_signature_is_judged_as_text() -> None:
    # Harmless: it is served as text/plain with a .txt name, never as an image.
    assert sniff(b"GIF88a") is TEXT
    assert sniff(b"PK") is TEXT


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"PK\x03\x04" + b"\x14\x00" * 20 + b"kein zip", "damaged zip"),
        (make_docx()[: len(make_docx()) // 2], "damaged zip"),  # upload cut off
        (make_zip([]), "zip without a known office document"),  # an empty archive
        (make_zip([("foto.jpg", b"\xff\xd8\xff")]), "zip without a known office document"),
        # Macro-enabled Word (DOCM) shares DOCX's part names; its content type gives it away.
        (make_docx(main=DOCM_MAIN), "zip without a known office document"),
        # The main part alone, without the package's content types.
        (make_zip([("word/document.xml", "<w:document/>")]), "zip without a known office document"),
        # Parts of a spreadsheet, content type of a Word document: neither format.
        (
            make_zip(
                [
                    ("[Content_Types].xml", content_types("word/document.xml", DOCX_MAIN)),
                    ("xl/workbook.xml", "<workbook/>"),
                ]
            ),
            "zip without a known office document",
        ),
        (make_odt(ODS_MIME), "opendocument, not a text document"),
        (make_odt(ODT_MIME + "\n"), "opendocument, not a text document"),
        # "mimetype" must be the first entry; elsewhere it means nothing.
        (
            make_zip([("content.xml", "<office:document-content/>"), ("mimetype", ODT_MIME)]),
            "zip without a known office document",
        ),
    ],
)
def test_refused_archives(content: bytes, reason: str) -> None:
    assert refusal(content) == reason


@pytest.mark.parametrize(
    "oversized",
    [
        # Really over the cap, deflated to a few hundred bytes of upload.
        make_odt(b"a" * (CAP + 1), zipfile.ZIP_DEFLATED),
        # A valid mimetype whose headers claim almost 4 GiB.
        patch_entry(make_odt(), "mimetype", file_size=0xFFFF_FFF0),
    ],
    ids=["deflated", "declared 4 GiB"],
)
def test_an_oversized_mimetype_entry_is_refused_without_being_read(
    oversized: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(oversized) < 2048

    def never_opened(*args: object, **kwargs: object) -> None:
        raise AssertionError("an entry over the cap was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", never_opened)
    assert refusal(oversized) == "zip entry too large"


def test_an_oversized_content_types_entry_is_refused() -> None:
    padding = " " * CAP  # whitespace between XML declarations is legal and compresses well
    content = make_zip(
        [
            ("[Content_Types].xml", content_types("word/document.xml", DOCX_MAIN) + padding),
            ("word/document.xml", "<w:document/>"),
        ]
    )
    assert refusal(content) == "zip entry too large"
    # Exactly at the cap is fine: the limit is on size, not on the shape of the file.
    exact = content_types("word/document.xml", DOCX_MAIN)
    at_cap = make_zip(
        [
            ("[Content_Types].xml", exact + " " * (CAP - len(exact))),
            ("word/document.xml", "<w:document/>"),
        ]
    )
    assert sniff(at_cap) is DOCX


def test_a_bomb_that_understates_its_size_is_refused_in_bounded_memory() -> None:
    # 32 MiB of zeros behind an ODT mimetype, deflated to a few KiB, with headers claiming
    # only the 39 bytes of the mimetype: zipfile stops at 39 bytes and the CRC gives it away.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("mimetype", "w") as entry:
            entry.write(ODT_MIME.encode())
            for _ in range(32):
                entry.write(bytes(1024 * 1024))
        archive.writestr("content.xml", "<office:document-content/>")
    bomb = patch_entry(buffer.getvalue(), "mimetype", file_size=len(ODT_MIME))
    assert len(bomb) < 64 * 1024

    tracemalloc.start()
    try:
        with pytest.raises(UnsupportedFileType) as caught:
            sniff(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.reason == "damaged zip"
    assert isinstance(caught.value.__cause__, zipfile.BadZipFile)
    assert peak < 4 * 1024 * 1024


def test_an_encrypted_entry_is_refused() -> None:
    encrypted = patch_entry(make_docx(), "[Content_Types].xml", flag_bits=0x1)
    with pytest.raises(UnsupportedFileType) as caught:
        sniff(encrypted)
    assert caught.value.reason == "damaged zip"
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_an_unknown_compression_method_is_refused() -> None:
    unknown = patch_entry(make_docx(), "[Content_Types].xml", method=99)
    with pytest.raises(UnsupportedFileType) as caught:
        sniff(unknown)
    assert caught.value.reason == "damaged zip"
    assert isinstance(caught.value.__cause__, NotImplementedError)


@pytest.mark.parametrize(
    "sample", ["docx", "docx stored", "docx bzip2", "docx lzma", "xlsx", "odt"]
)
def test_every_truncation_and_flipped_byte_is_refused_or_recognised(sample: str) -> None:
    # Whatever the damage, sniff returns an allowed type or refuses; nothing else escapes.
    content, expected = SAMPLES[sample]
    variants = [content[:length] for length in range(len(content))]
    for position in range(len(content)):
        for mask in (0x01, 0x80, 0xFF):
            damaged = bytearray(content)
            damaged[position] ^= mask
            variants.append(bytes(damaged))
    outcomes: set[FileType | str] = set()
    for variant in variants:
        try:
            outcomes.add(sniff(variant))
        except UnsupportedFileType as refused:
            outcomes.add(refused.reason)
    # Damage in an entry that is never read leaves the type intact; the rest is refused.
    assert expected in outcomes
    assert "damaged zip" in outcomes


@pytest.mark.parametrize(
    ("reference", "index", "filetype", "expected"),
    [
        ("2026-0042", 3, PDF, "Fall-2026-0042-Dokument-3.pdf"),
        ("DO-NORD-2026-0042", 1, DOCX, "Fall-DO-NORD-2026-0042-Dokument-1.docx"),
        ("K1", 12, JPEG, "Fall-K1-Dokument-12.jpg"),
        ("X" * 64, 1, TEXT, "Fall-" + "X" * 64 + "-Dokument-1.txt"),
    ],
)
def test_safe_download_name(reference: str, index: int, filetype: FileType, expected: str) -> None:
    name = safe_download_name(reference, index, filetype)
    assert name == expected
    assert name.isascii()


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "X" * 65,
        "2026/0042",
        "2026--0042",
        "-2026",
        "2026-",
        "KÖLN-2026-1",
        'a"; filename=beweis.pdf',
        "a\r\nSet-Cookie: x=1",
        "Fall 42",
    ],
)
def test_safe_download_name_refuses_anything_but_a_plain_reference(reference: str) -> None:
    with pytest.raises(ValueError, match="case reference"):
        safe_download_name(reference, 1, PDF)


@pytest.mark.parametrize("index", [0, -1])
def test_documents_are_numbered_from_one(index: int) -> None:
    with pytest.raises(ValueError, match="from 1"):
        safe_download_name("2026-0042", index, PDF)
