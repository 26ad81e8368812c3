"""The type of an uploaded document, decided by its content and never by its name.

Evidence arrives as letters, screenshots, e-mails printed to PDF and office documents. The
uploaded name and the browser's Content-Type are chosen by the sender, so neither is even an
input here: ``sniff`` sees only the bytes, and the stored type, the download's media type and
its extension all come from the ``FileType`` it returns.

Deny by default: a document is accepted only if it matches one of ``ALLOWED``. Refused on
purpose:

* HTML, SVG and XML, even though they are text: a browser renders them and runs their scripts.
* E-mails as ``.eml`` (message/rfc822): the headers are free text with no signature to test,
  so any text could claim to be one, and a MIME message carries HTML parts and attachments of
  any type past this allowlist. Counsellors print an e-mail to PDF instead.
* Legacy Office files (``.doc``/``.xls``, OLE containers, also every password-protected
  Office file): macros cannot be ruled out without parsing the container.
* Macro-enabled OOXML (``.docm``/``.xlsm``), told apart from DOCX/XLSX by its content type.

Accepting a type says what a file is, not that it is harmless (a PDF may still hold a
script). Whoever serves a document must send it as an attachment under its sniffed media type
and ``safe_download_name``; the app adds ``X-Content-Type-Options: nosniff`` to every response.

Memory stays bounded by the upload: nothing is ever extracted, only a ZIP's directory is
parsed (about six times its size in memory; the app caps uploads with MAX_CONTENT_LENGTH) and
at most ``_MAX_MEMBER_BYTES`` are decompressed from one named entry.
"""

from __future__ import annotations

import io
import lzma
import re
import zipfile
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    """An accepted kind of document."""

    media_type: str
    #: Without the dot; the extension of every download of this type.
    extension: str
    #: German label for the counsellor ("PDF-Dokument").
    label: str


PDF = FileType("application/pdf", "pdf", "PDF-Dokument")
PNG = FileType("image/png", "png", "PNG-Bild")
JPEG = FileType("image/jpeg", "jpg", "JPEG-Bild")
# GIF is allowed: memes and reaction GIFs from chats and social media are evidence of online
# harassment, and a GIF is as inert as a PNG.
GIF = FileType("image/gif", "gif", "GIF-Bild")
WEBP = FileType("image/webp", "webp", "WebP-Bild")
TEXT = FileType("text/plain; charset=utf-8", "txt", "Textdatei")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    "Word-Dokument",
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
    "Excel-Tabelle",
)
ODT = FileType("application/vnd.oasis.opendocument.text", "odt", "OpenDocument-Text")

ALLOWED: tuple[FileType, ...] = (PDF, PNG, JPEG, GIF, WEBP, TEXT, DOCX, XLSX, ODT)

_REFUSAL = (
    "Dieser Dateityp wird nicht angenommen (erlaubt: "
    + ", ".join(filetype.extension.upper() for filetype in ALLOWED)
    + ")."
)


class UnsupportedFileType(ValueError):
    """The content matches no allowed type; the message is for the counsellor.

    ``reason`` says which check refused it, in English, for logs and tests; it never holds
    any of the content.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(_REFUSAL)
        self.reason = reason


# Signatures at offset 0. Stricter than the readers (a PDF reader also finds "%PDF-" further
# in), so that a file with junk in front is refused rather than guessed.
_SIGNATURES: tuple[tuple[bytes, FileType], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
)
# A local file header, or the end-of-directory record that an empty ZIP consists of.
_ZIP_PREFIXES = (b"PK\x03\x04", b"PK\x05\x06")
# Windows (MZ) and Linux (ELF) programs. They fail the text rules anyway (NUL bytes); named
# here so that the intent is visible and no future loosening of those rules lets them in.
_EXECUTABLE_PREFIXES = (b"MZ", b"\x7fELF")

# Only the ODF "mimetype" entry (about 40 bytes) and "[Content_Types].xml" (a few KiB, one
# line per part) are ever read, each at most this much.
_MAX_MEMBER_BYTES = 256 * 1024
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# The main part's content type tells DOCX from DOCM (and XLSX from XLSM), which share their
# part names. Found by substring, not by an XML parser: no entity expansion, no parser quirks.
_OOXML: tuple[tuple[str, bytes, FileType], ...] = (
    (
        "word/document.xml",
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        DOCX,
    ),
    (
        "xl/workbook.xml",
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        XLSX,
    ),
)
# What a damaged or hostile ZIP makes the standard library raise while its directory or one
# entry is read: bad structure or CRC (BadZipFile), truncated data (EOFError), impossible
# offsets (ValueError), broken deflate, bzip2 or LZMA streams (zlib.error, OSError,
# LZMAError), an unknown compression method (NotImplementedError), an encrypted entry
# (RuntimeError). Each means the same here: not a document we accept.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    EOFError,
    ValueError,
    zlib.error,
    OSError,
    lzma.LZMAError,
    NotImplementedError,
    RuntimeError,
)

# Browsers sniff at most the first 1445 bytes (WHATWG MIME Sniffing, "resource header").
_MARKUP_WINDOW = 1445
_MARKUP = re.compile(r"<(?:!doctype|html|head|body|script|iframe|svg|\?xml)", re.IGNORECASE)
# C0 control characters except tab, LF, FF and CR (NUL included).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def sniff(content: bytes) -> FileType:
    """The allowed type of ``content``; raises ``UnsupportedFileType`` for anything else."""
    if not content:
        raise UnsupportedFileType("empty")
    for signature, filetype in _SIGNATURES:
        if content.startswith(signature):
            return filetype
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if content.startswith(_ZIP_PREFIXES):
        return _sniff_zip(content)
    if content.startswith(_EXECUTABLE_PREFIXES):
        raise UnsupportedFileType("executable")
    return _sniff_text(content)


def _sniff_zip(content: bytes) -> FileType:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return _office_type(archive)
    except UnsupportedFileType:
        raise  # a ValueError itself: keep its reason instead of calling it damage
    except _ZIP_ERRORS as error:
        raise UnsupportedFileType("damaged zip") from error


def _office_type(archive: zipfile.ZipFile) -> FileType:
    entries = archive.infolist()
    # ODF requires "mimetype" as the very first entry, so a reader knows the type at once.
    if entries and entries[0].filename == "mimetype":
        if _read_small(archive, entries[0]) == _ODT_MIMETYPE:
            return ODT
        raise UnsupportedFileType("opendocument, not a text document")
    names = set(archive.namelist())
    for main_part, content_type, filetype in _OOXML:
        if main_part in names and "[Content_Types].xml" in names:
            declared = _read_small(archive, archive.getinfo("[Content_Types].xml"))
            if content_type in declared:
                return filetype
    raise UnsupportedFileType("zip without a known office document")


def _read_small(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    """One entry, refused unless its declared size is within the cap."""
    if entry.file_size > _MAX_MEMBER_BYTES:
        raise UnsupportedFileType("zip entry too large")
    # zipfile inflates at most the declared size and then checks the CRC, so a header that
    # understates a bomb ends in BadZipFile after this many bytes, never in a full inflate.
    # The explicit limit keeps the bound visible here instead of inside the standard library.
    with archive.open(entry) as member:
        return member.read(_MAX_MEMBER_BYTES)


def _sniff_text(content: bytes) -> FileType:
    try:
        text = content.decode("utf-8-sig")  # strips a byte-order mark
    except UnicodeDecodeError as error:
        raise UnsupportedFileType("neither a known format nor UTF-8 text") from error
    if not text:
        raise UnsupportedFileType("empty")
    if _CONTROL.search(text):
        raise UnsupportedFileType("control characters in text")
    if _MARKUP.search(text[:_MARKUP_WINDOW]):
        raise UnsupportedFileType("markup a browser would render")
    return TEXT


_REFERENCE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def safe_download_name(reference: str, index: int, filetype: FileType) -> str:
    """An ASCII file name for a download, e.g. ``Fall-2026-0042-Dokument-3.pdf``.

    The uploaded name is personal data (it often holds the client's or the respondent's
    name), is stored sealed elsewhere and must not travel in a Content-Disposition header.
    The reference and index are ours; anything outside letters, digits and single dashes is
    a bug in the caller and raises ``ValueError`` rather than reaching a header.
    """
    if len(reference) > 64 or not _REFERENCE.fullmatch(reference):
        raise ValueError("a case reference is ASCII letters and digits joined by dashes")
    if index < 1:
        raise ValueError("documents are numbered from 1")
    return f"Fall-{reference}-Dokument-{index}.{filetype.extension}"
