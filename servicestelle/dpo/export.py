"""The export file: the selected entries as CSV and JSON, with a checkpoint signed after them.

Pure functions of what the operation hands in, so the format is tested without a request.
The JSON keeps every stored field exactly (time in the hashed form, details as the stored
canonical text), so each entry's hash can be recomputed from the file alone.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime

from audit import Entry
from audit.chain import format_time

FORMAT = "servicestelle-audit-export/1"
CSV_COLUMNS = (
    "seq",
    "ts",
    "actor_id",
    "actor_username",
    "role",
    "centre_id",
    "action",
    "object_type",
    "object_id",
    "purpose",
    "outcome",
    "request_id",
    "details",
    "prev_hash",
    "entry_hash",
)
#: A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

README = """\
Export aus dem Zugriffsprotokoll der Servicestelle
==================================================

Erstellt: {created} (UTC), {count} Einträge, Nr. {first} bis {last}.
Auswahl: {filters}

Inhalt
------
entries.csv      Die ausgewählten Einträge als Tabelle (Semikolon getrennt, UTF-8).
                 Zellen, die mit = + - @ oder einem Steuerzeichen beginnen, sind mit einem
                 Apostroph versehen, damit Tabellenprogramme sie nicht als Formel ausführen.
entries.json     Dieselben Einträge mit allen gespeicherten Feldern unverändert; aus ihnen
                 lässt sich der Hash jedes Eintrags nachrechnen (SHA-256 über 0x00 und die
                 kanonische JSON-Kodierung, Format 1).
checkpoint.json  Ein beim Export mit Ed25519 signierter Prüfpunkt über das ganze Protokoll:
                 Es hatte da {checkpoint_seq} Einträge, und der letzte trug den dort
                 genannten Hash. Die ausgewählten Einträge belegt er für sich allein nicht;
                 eine Hash-Kette lässt sich nur mit allen Einträgen dazwischen prüfen.
public-key.pem   Der öffentliche Schlüssel, mit dem die Signatur geprüft wird
                 (Schlüsselkennung {key_id}).

Prüfen
------
Bewahren Sie checkpoint.json außerhalb des Servers auf. Auf dem Server zeigt

    servicestelle audit verify --checkpoint checkpoint.json

ob das Protokoll noch zu diesem Prüfpunkt passt, also kein Eintrag bis Nr. {checkpoint_seq}
verändert, gelöscht oder abgeschnitten wurde (Status 0; sonst wird der erste beschädigte
Eintrag genannt). Jede exportierte Zeile trägt ihren Hash (entry_hash): Vergleichen Sie ihn
mit dem Eintrag gleicher Nummer (seq) im Protokoll auf dem Server.

Das Protokoll enthält keine Fallinhalte, nur pseudonyme Kennungen. Die Datei enthält aber
Benutzernamen von Mitarbeitenden: Bewahren Sie sie vertraulich auf.
"""


def neutralise(value: object) -> str:
    """A CSV cell that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def entry_record(entry: Entry) -> dict[str, object]:
    """Every stored field, exactly as hashed."""
    return {
        "seq": entry.seq,
        "ts": format_time(entry.ts),
        "actor_id": entry.actor_id,
        "role": entry.role,
        "centre_id": entry.centre_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "purpose": entry.purpose,
        "outcome": entry.outcome,
        "request_id": entry.request_id,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


def entries_csv(items: Sequence[Entry], usernames: Mapping[int, str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in items:
        record = entry_record(entry)
        record["actor_username"] = (
            usernames.get(entry.actor_id) if entry.actor_id is not None else None
        )
        writer.writerow([neutralise(record[column]) for column in CSV_COLUMNS])
    # The byte-order mark makes spreadsheet programs read the file as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")


def entries_json(
    items: Sequence[Entry],
    usernames: Mapping[int, str],
    *,
    created: datetime,
    filters: Mapping[str, str],
    checkpoint_seq: int,
) -> bytes:
    document = {
        "format": FORMAT,
        "created": format_time(created),
        "filters": dict(filters),
        "checkpoint_seq": checkpoint_seq,
        "actors": {str(key): value for key, value in sorted(usernames.items())},
        "entries": [entry_record(entry) for entry in items],
    }
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")


def build_zip(
    items: Sequence[Entry],
    usernames: Mapping[int, str],
    *,
    created: datetime,
    filters: Mapping[str, str],
    checkpoint_json: str,
    checkpoint_seq: int,
    key_id: str,
    public_key_pem: str,
) -> bytes:
    """The ZIP file handed to the DPO (entries oldest first)."""
    ordered = sorted(items, key=lambda entry: entry.seq)
    readme = README.format(
        created=format_time(created),
        count=len(ordered),
        first=ordered[0].seq if ordered else "–",
        last=ordered[-1].seq if ordered else "–",
        filters="; ".join(f"{key} = {value}" for key, value in sorted(filters.items()))
        or "alle Einträge",
        checkpoint_seq=checkpoint_seq,
        key_id=key_id,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        stamp = created.timetuple()[:6]
        files = {
            "entries.csv": entries_csv(ordered, usernames),
            "entries.json": entries_json(
                ordered,
                usernames,
                created=created,
                filters=filters,
                checkpoint_seq=checkpoint_seq,
            ),
            "checkpoint.json": checkpoint_json.encode("utf-8"),
            "public-key.pem": public_key_pem.encode("ascii"),
            "LIESMICH.txt": readme.replace("\n", "\r\n").encode("utf-8"),
        }
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()
