"""Canaries: a distinct string typed into every free-text field of a case — the payload, a
contact, an intervention, a deadline, a document (content, name, description) and a
break-glass reason — is readable through the operations and appears nowhere else: not in the
SQLite file or its WAL, not in a PostgreSQL dump, not in the log, not in the audit table.

Each search also looks for something that *is* stored in clear (an account name), so a search
of the wrong file, an empty dump or a silent log cannot pass for "no leak".
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa

import audit
from servicestelle.cases import break_glass, operations, parts, queries
from servicestelle.cases import payload as rules
from servicestelle.cases.models import (
    BreakGlassAccess,
    CaseContact,
    CaseDeadline,
    CaseDocument,
    CaseIntervention,
)
from servicestelle.extensions import db
from servicestelle.roles import Role
from tests.support import postgres
from tests.support.cases import (
    acting_as,
    canary,
    canary_payload,
    document_text,
    fill_case,
    is_free_text,
    leaks,
    load,
    text_paths,
)
from tests.support.components import missing

#: Stored in clear (an account name): every search must find it, or it searched nothing.
CLEAR = "klartext-kontrolle"


def test_the_payload_has_a_canary_in_every_free_text_field():
    content, canaries = canary_payload()

    assert set(text_paths()) >= {
        "incident.place",
        "incident.district",
        "respondent.name",
        "respondent.address",
        "client.pseudonym",
        "client.contact",
        "account.client_goal",
        "account.narrative",
        "account.consequences_note",
        "closure.note",
    }
    for path in text_paths():
        section, name = path.split(".")
        assert content[section][name] == canary(path)
    # Every list that offers "anderes" has it chosen, with its own canary in the free text.
    assert content["classification"]["grounds"]["other"] == canary("classification.grounds.other")
    assert content["respondent"]["type"]["other"] == canary("respondent.type.other")
    assert len(set(canaries)) == len(canaries) >= 25


def test_every_free_text_field_of_a_part_gets_a_canary():
    """fill_case writes the parts' canaries by hand: a new text field must be added there."""
    free_text = {
        schema.__name__: sorted(
            name for name, field in schema().fields.items() if is_free_text(field)
        )
        for schema in (
            rules.ContactContentSchema,
            rules.InterventionContentSchema,
            rules.DeadlineContentSchema,
            rules.DocumentDescriptionSchema,
        )
    }
    assert free_text == {
        "ContactContentSchema": ["note"],
        "InterventionContentSchema": ["details", "result"],
        "DeadlineContentSchema": ["note"],
        "DocumentDescriptionSchema": ["description", "filename"],
    }


def _read_everything(app, owner_id: int, filled) -> str:
    """Everything the owner can read of the case, decrypted, as one text."""
    read: list[object] = []
    with acting_as(app, owner_id):
        access = load(owner_id, filled.case_id)
        opened = operations.open_case(access)
        read.append(json.dumps(opened.payload, default=str, ensure_ascii=False))
        for table, model, row_id in (
            ("case_contacts", CaseContact, filled.contact_id),
            ("case_interventions", CaseIntervention, filled.intervention_id),
            ("case_deadlines", CaseDeadline, filled.deadline_id),
        ):
            row = db.session.get(model, row_id)
            read.append(opened.vault.open_json(table, "content", row_id, row.content))
        document = db.session.get(CaseDocument, filled.document_id)
        read.append(
            opened.vault.open_json(
                "case_documents", "description", document.id, document.description
            )
        )
        download = parts.read_document(access, filled.document_id)
        assert download.content == document_text()
        # The download's name is built from the reference, never from the uploaded name.
        assert canary("document.filename") not in download.filename
        read.append(download.content.decode())
        read.append(break_glass.reason_of(db.session.get(BreakGlassAccess, filled.grant_id)))
        found = queries.list_cases(
            access.user,
            queries.CaseFilter(search_field="pseudonym", search_text=canary("client.pseudonym")),
        )
        assert [row.case.id for row in found.rows] == [filled.case_id]
    return json.dumps(read, ensure_ascii=False)


def _audit_rows(backend) -> list[str]:
    engine = sa.create_engine(backend.owner_url)
    try:
        with engine.connect() as connection:
            return [repr(tuple(row)) for row in connection.execute(sa.select(audit.audit_entry))]
    finally:
        engine.dispose()


def test_canaries_are_readable_through_the_operations_and_nowhere_else(
    app, backend, make_user, caplog
):
    caplog.set_level(logging.DEBUG)
    # SQL statements, their parameters and the rows read: a plaintext bound or fetched anywhere
    # would show up here.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    owner = make_user(Role.COUNSELLOR, username=CLEAR)
    colleague = make_user(Role.COUNSELLOR)
    filled = fill_case(app, owner.id, colleague.id)

    decrypted = _read_everything(app, owner.id, filled)
    for text in filled.readable:
        assert text in decrypted, text
    assert canary("account.narrative") not in decrypted  # replaced by the update

    # Every place is searched, and every leak reported at once.
    found: dict[str, list[str]] = {}
    rows = _audit_rows(backend)
    assert len(rows) >= 10 and any("case:content:read" in row for row in rows)
    assert any(CLEAR in row for row in _user_rows(backend))
    found["audit_entry"] = [leak for row in rows for leak in leaks(row.encode(), filled.canaries)]

    logged = caplog.text
    assert "case created: id=" in logged and "INSERT INTO cases" in logged  # it captured
    found["log"] = leaks(logged.encode(), filled.canaries)

    if backend.name == "sqlite":
        found.update(_sqlite_leaks(app, backend, filled.canaries))
    else:
        found["pg_dump"] = _pg_dump_leaks(backend, filled.canaries)
    leaky = {place: leaked for place, leaked in found.items() if leaked}
    assert not leaky, "; ".join(
        f"{place}: {len(v)} leaks, e.g. {v[:2]}" for place, v in leaky.items()
    )


def _user_rows(backend) -> list[str]:
    """The account rows (positive control: the clear name is there to be found)."""
    engine = sa.create_engine(backend.owner_url)
    try:
        with engine.connect() as connection:
            return [repr(tuple(row)) for row in connection.execute(sa.text("SELECT * FROM users"))]
    finally:
        engine.dispose()


# --- SQLite: the file and its write-ahead log -----------------------------------------------


def _sqlite_files(backend) -> dict[str, bytes]:
    path = Path(sa.make_url(backend.url).database)
    return {
        candidate.name: candidate.read_bytes()
        for candidate in sorted(path.parent.iterdir())
        if candidate.name.startswith(path.name)
    }


def _sqlite_leaks(app, backend, canaries: list[str]) -> dict[str, list[str]]:
    found = {}
    # While the application still has the database open: most of it is still in the WAL.
    files = _sqlite_files(backend)
    wal = next(content for name, content in files.items() if name.endswith("-wal"))
    assert len(wal) > 0
    assert CLEAR.encode() in b"".join(files.values())
    for name, content in files.items():
        found[name] = leaks(content, canaries)

    with app.app_context():
        busy, _, _ = db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
        db.session.commit()
    assert busy == 0
    files = _sqlite_files(backend)
    main = next(content for name, content in files.items() if name.endswith(".sqlite3"))
    assert CLEAR.encode() in main  # the checkpoint moved everything into the file
    for name, content in files.items():
        found[f"{name} after a checkpoint"] = leaks(content, canaries)
    return found


# --- PostgreSQL: a full dump ----------------------------------------------------------------


def _pg_dump() -> str | None:
    """pg_dump beside the server binaries the test cluster uses, else on the PATH."""
    bin_dir = postgres._bin_dir()
    if bin_dir is not None and (bin_dir / "pg_dump").exists():
        return str(bin_dir / "pg_dump")
    return shutil.which("pg_dump")


def _pg_dump_leaks(backend, canaries: list[str]) -> list[str]:
    binary = _pg_dump()
    if binary is None:
        missing("pg_dump", "not beside initdb/pg_ctl and not on the PATH")
    url = sa.make_url(backend.superuser_url).set(drivername="postgresql")
    done = subprocess.run(
        [binary, "--no-password", "--dbname", url.render_as_string(hide_password=False)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0 and b"version mismatch" in done.stderr:
        missing("pg_dump", done.stderr.decode(errors="replace").strip())
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    dump = done.stdout
    assert b"COPY public.cases " in dump and CLEAR.encode() in dump  # a dump with the data
    return leaks(dump, canaries)


# --- the failure the searches are there to catch --------------------------------------------


def test_the_search_finds_a_canary_in_every_form_it_looks_for():
    text = canary("client.pseudonym")
    for haystack in (
        b"..." + text.encode() + b"...",
        text.lower().encode(),
        text.encode("utf-16-le"),
        b"\\x" + text.encode().hex().encode(),
        b"KANARIE",
    ):
        assert leaks(haystack, [text])
    assert not leaks(b"kanari nothing here", [text])
