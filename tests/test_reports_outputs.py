"""A report's outputs carry exactly its release's cells: the PDF (read back by poppler), the
CSV of every table and their ZIP, and the API; every export is audited with ids and hashes
only; another centre's report is a 404 there too."""

# The fixtures come from test_reports.py; pytest fixtures are used by naming them as
# parameters, which ruff reads as redefining the imported names.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from typing import Any

from audit import AuditEvent
from servicestelle.api.operations import create_token
from servicestelle.auth.models import User
from servicestelle.centres.operations import create_centre
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats.release_models import Release
from tests.conftest import login
from tests.support.audit_log import entries
from tests.test_reports import (  # noqa: F401 - fixtures
    cells,
    clock,
    content_of,
    create_report,
    pdf_text,
    people,
    published_year,
    shown,
)

EXPORT = AuditEvent.REPORT_RECORD_EXPORT.value


def _segment(printed: str, table: dict[str, Any]) -> str:
    """The PDF text of one table: from its caption (the title's second appearance, after the
    heading) to its notes."""
    first = printed.index(table["title"])
    start = printed.index(table["title"], first + len(table["title"]))
    return printed[start : printed.index("Zählbasis", start)]


def test_the_pdf_is_a_pdf_whose_text_holds_every_figure_of_the_release(
    app, client, centre, people, clock
):
    release_id = published_year(app, centre, people)
    content = content_of(app, release_id)
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)

    response = client.get(f"/berichte/{report_id}/bericht.pdf")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    printed = pdf_text(response.data)
    assert "Nicht repräsentativ" in printed
    with app.app_context():
        assert db.session.get_one(Release, release_id).content_hash in printed
    checked = 0
    for table in content["tables"]:
        segment = _segment(printed, table)
        values = cells(content, table["id"])
        if not table["cols"]:
            for row in [*table["rows"], {"code": None, "label": "Gesamt"}]:
                if (row["code"], None) not in values:
                    continue
                figure = re.escape(shown(values[(row["code"], None)]))
                line = rf"{re.escape(row['label'])} +{figure}(?!\d)"
                assert re.search(line, segment), (table["id"], row["label"])
                checked += 1
        else:
            # Wide tables wrap: every figure, in the order of the rows, "•" where suppressed.
            tokens = re.findall(r"•|\d+", segment.replace("%", ""))
            expected = [
                shown(values[(row["code"], col)])
                for row in [*table["rows"], {"code": None}]
                for col in [*(c["code"] for c in table["cols"]), None]
                if (row["code"], col) in values
            ]
            iterator = iter(tokens)
            assert all(any(token == want for token in iterator) for want in expected), table["id"]
            checked += len(expected)
    assert checked > 100
    (entry,) = entries(app, action=EXPORT)
    assert json.loads(entry.details) == {
        "format": "pdf",
        "release_id": release_id,
        "content_sha256": content_of_hash(app, release_id),
    }


def content_of_hash(app, release_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get_one(Release, release_id).content_hash


def test_every_table_as_csv_and_all_in_a_zip_hold_the_release_cells(
    app, client, centre, people, clock
):
    release_id = published_year(app, centre, people)
    content = content_of(app, release_id)
    report_id = create_report(app, people.counsellor)
    login(client, people.counsellor, clock)

    for table in content["tables"]:
        response = client.get(f"/berichte/{report_id}/tabellen/{table['id']}.csv")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
        body = [row for row in rows if row and not row[0].startswith("#")][1:]
        values = cells(content, table["id"])
        labels = {row["label"]: row["code"] for row in table["rows"]}
        cols = [col["code"] for col in table["cols"]] or [None]
        for line in body:
            code = None if line[0] == "Gesamt" else labels[line[0]]
            # A cell the table does not have is empty; a suppressed one "•".
            expected = [shown(values[(code, col)]) if (code, col) in values else "" for col in cols]
            if table["cols"]:
                expected.append(shown(values[(code, None)]) if (code, None) in values else "")
            assert line[1:] == expected, (table["id"], line)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/berichte/{report_id}/tabellen.zip").data))
    names = archive.namelist()
    assert len(names) == len(content["tables"])
    for table in content["tables"]:
        (name,) = [n for n in names if n.endswith(f"-{table['id']}.csv")]
        single = client.get(f"/berichte/{report_id}/tabellen/{table['id']}.csv").data
        assert archive.read(name) == single
    formats = [json.loads(e.details)["format"] for e in entries(app, action=EXPORT)]
    assert formats.count("csv") == 2 * len(content["tables"]) and formats.count("zip") == 1
    assert client.get(f"/berichte/{report_id}/tabellen/gibtsnicht.csv").status_code == 404


def _token(app, user_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        token = create_token(db.session.get_one(User, user_id), "bericht").plaintext
    return {"Authorization": f"Bearer {token}"}


def test_the_api_gives_the_same_figures_and_is_audited(app, client, centre, people, clock):
    previous = published_year(app, centre, people, 2025)
    release_id = published_year(app, centre, people)
    content = content_of(app, release_id)
    report_id = create_report(app, people.counsellor)
    headers = _token(app, people.counsellor.id)

    listed = client.get("/api/v1/reports", headers=headers).get_json()
    assert [(r["id"], r["release_id"], r["status"]) for r in listed] == [
        (report_id, release_id, "draft")
    ]
    document = client.get(f"/api/v1/reports/{report_id}", headers=headers).get_json()

    assert document["representative"] is False
    assert document["release"]["id"] == release_id
    assert document["previous_release"]["id"] == previous
    shown_tables = [item["table"] for s in document["sections"] for item in s["tables"]]
    # Each table is the release's table, cell for cell (null where suppressed).
    assert sorted(shown_tables, key=lambda t: t["id"]) == sorted(
        content["tables"], key=lambda t: t["id"]
    )
    sections = {s["id"]: s for s in document["sections"]}
    state, others = sections["verursachende"]["key_figures"]
    assert (state["value"], others["value"]) == (21, None)
    trend = sections["faelle"]["tables"][0]["trend"]
    assert [c["change"] for c in trend] == ["±0", "±0"]
    (entry,) = entries(app, action=EXPORT)
    assert json.loads(entry.details)["format"] == "json"
    assert entry.object_id == str(report_id)


def test_the_api_refuses_other_roles_and_centres(app, client, centre, people, clock, make_user):
    report_id = create_report(app, people.counsellor)
    dpo = make_user(Role.DPO)
    with app.app_context():
        other = create_centre("NORD", "Servicestelle Nord").id
    stranger = make_user(Role.SUPERVISOR, centre_id=other)

    refused = client.get(f"/api/v1/reports/{report_id}", headers=_token(app, dpo.id))
    assert refused.status_code == 403 and "error" in refused.get_json()
    assert client.get("/api/v1/reports").status_code == 401
    hidden = client.get(f"/api/v1/reports/{report_id}", headers=_token(app, stranger.id))
    assert hidden.status_code == 404 and "error" in hidden.get_json()
    assert client.get("/api/v1/reports", headers=_token(app, stranger.id)).get_json() == []
    denied = entries(app, action=AuditEvent.ACCESS_REQUEST_DENY.value)
    assert any(e.object_type == "report" and e.object_id == str(report_id) for e in denied)
    # A period without a published release: no sections, nothing audited as an export.
    empty = client.get(f"/api/v1/reports/{report_id}", headers=_token(app, people.drafter.id))
    assert empty.get_json()["release"] is None and empty.get_json()["sections"] == []
    assert entries(app, action=EXPORT) == []


def test_the_openapi_document_describes_the_report_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/reports" in spec["paths"] and "/api/v1/reports/{report_id}" in spec["paths"]
    assert {"Report", "ReportSummary"} <= set(spec["components"]["schemas"])


def test_the_api_numbers_vignettes_by_their_place_not_their_id(app, client, centre, people):
    from servicestelle.reports import operations
    from servicestelle.reports.models import Report

    report_id = create_report(app, people.counsellor)
    with app.app_context():
        counsellor = db.session.get_one(User, people.counsellor.id)
        approver = db.session.get_one(User, people.approver.id)
        report = db.session.get_one(Report, report_id)
        # Ids that are not places: a refused one in between.
        vignettes = [
            operations.propose_vignette(counsellor, report, body)
            for body in ("Erste Vignette", "Abgelehnt", "Zweite Vignette")
        ]
        db.session.commit()
        first, refused, second = vignettes
        operations.accept_vignette(approver, report, first, first.text)
        operations.refuse_vignette(approver, report, refused, "Zu erkennbar.")
        operations.accept_vignette(approver, report, second, second.text)

    document = client.get(
        f"/api/v1/reports/{report_id}", headers=_token(app, people.counsellor.id)
    ).get_json()

    assert document["vignettes"] == [
        {"position": 1, "text": "Erste Vignette"},
        {"position": 2, "text": "Zweite Vignette"},
    ]
    spec = client.get("/api/v1/openapi.json").get_json()
    fields = spec["components"]["schemas"]["Vignette"]["properties"]
    assert set(fields) == {"position", "text"}
