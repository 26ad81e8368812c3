"""The Art. 30 record loader and the export file format, without the app."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime

from audit import Entry
from servicestelle.dpo import export, processing_record
from servicestelle.dpo.processing_record import BUNDLED, ITEMS


def test_the_bundled_template_has_every_item():
    record = processing_record.load(None)
    assert record.problems == []
    assert record.is_bundled and record.source == BUNDLED
    assert record.version and record.valid_from == date(2026, 1, 1)
    assert [item.letter for item in record.items] == list("abcdefg")
    assert all(item.entries for item in record.items)


def test_every_required_field_is_named_when_missing(tmp_path):
    path = tmp_path / "leer.toml"
    path.write_text("[controller]\n[purposes]\npurposes = []\n", encoding="utf-8")
    record = processing_record.load(path)
    text = "\n".join(record.problems)
    assert "„version“ fehlt" in text and "„valid_from“" in text and "„name“" in text
    assert (
        "Punkt a) „Verantwortliche Stelle und Datenschutzbeauftragte*r“: „Verantwortliche Stelle“ (controller.name) fehlt"
        in text
    )
    assert "(purposes.purposes) fehlt oder ist leer" in text
    for spec in ITEMS[2:]:
        assert f"Punkt {spec.letter}) " in text and f"[{spec.key}]" in text
    assert not record.is_bundled


def test_wrong_types_and_unreadable_files_give_messages(tmp_path):
    wrong = tmp_path / "falsch.toml"
    wrong.write_text('version = 3\nvalid_from = "gestern"\n[recipients]\nrecipients = 5\n')
    latin = tmp_path / "latin1.toml"
    latin.write_bytes('name = "Beratungsstelle Köln"'.encode("latin-1"))
    typed = processing_record.load(wrong)
    missing = processing_record.load(tmp_path / "gibt-es-nicht.toml")
    not_utf8 = processing_record.load(latin)
    assert typed.version == "3"
    assert any("„valid_from“" in problem for problem in typed.problems)
    assert any("(recipients.recipients) muss ein Text" in problem for problem in typed.problems)
    assert "kann nicht gelesen werden" in missing.problems[0]
    assert "UTF-8" in not_utf8.problems[0]


def _entry(seq: int, object_id: str) -> Entry:
    return Entry(
        seq=seq,
        ts=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        actor_id=7,
        role="counsellor",
        centre_id=1,
        action="case:content:read",
        object_type="case",
        object_id=object_id,
        purpose="counselling",
        outcome="success",
        request_id="r1",
        details='{"field":"x"}',
        prev_hash="0" * 64,
        entry_hash="a" * 64,
    )


def test_the_zip_keeps_stored_fields_exactly_and_neutralises_formulas():
    content = export.build_zip(
        [_entry(2, "=cmd|' /C calc'!A0"), _entry(1, "c-1")],
        {7: "@nutzer"},
        created=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        filters={"aktion": "case:content:read"},
        checkpoint_json="{}",
        checkpoint_seq=5,
        key_id="k" * 32,
        public_key_pem="-----BEGIN PUBLIC KEY-----\n",
    )
    archive = zipfile.ZipFile(io.BytesIO(content))
    rows = list(
        csv.reader(io.StringIO(archive.read("entries.csv").decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0] == list(export.CSV_COLUMNS)
    assert [row[0] for row in rows[1:]] == ["1", "2"]
    assert rows[2][export.CSV_COLUMNS.index("object_id")] == "'=cmd|' /C calc'!A0"
    assert rows[1][export.CSV_COLUMNS.index("actor_username")] == "'@nutzer"
    document = json.loads(archive.read("entries.json"))
    assert document["entries"][1]["object_id"] == "=cmd|' /C calc'!A0"
    assert document["entries"][0]["ts"] == "2026-03-02T09:00:00.000000Z"
    assert document["entries"][0]["details"] == '{"field":"x"}'
    readme = archive.read("LIESMICH.txt").decode()
    assert "Nr. 1 bis 2" in readme and "aktion = case:content:read" in readme


def test_every_event_outcome_and_purpose_has_a_german_label():
    from audit import AuditEvent, Outcome, Problem, Purpose
    from servicestelle.dpo import labels

    assert set(AuditEvent) <= set(labels.ACTION_LABELS), "add the new event to dpo/labels.py"
    assert set(Outcome) <= set(labels.OUTCOME_LABELS)
    assert set(Purpose) <= set(labels.PURPOSE_LABELS) <= set(labels.PURPOSE_EXPLANATIONS)
    assert {labels.problem_code(problem) for problem in Problem} <= set(labels.PROBLEM_LABELS)
    assert labels.action_label("future:thing:happen") == "future:thing:happen"
    assert labels.role_label("counsellor+supervisor") == "Beratung, Leitung"
    assert labels.role_label("operator") == "Betrieb (Kommandozeile)"


def test_labels_show_unexpected_values_as_text():
    from servicestelle.dpo import labels

    assert labels.outcome_label("<b>kaputt</b>") == "<b>kaputt</b>"  # escaped by the template
    assert labels.problem_label(["edited"]) == "['edited']"
    assert labels.purpose_label(None) == ""
    assert labels.role_label("chef+counsellor") == "chef, Beratung"


def test_every_object_type_has_a_label_and_an_id_rule_where_it_has_ids():
    from servicestelle.dpo import labels
    from servicestelle.dpo.forms import OBJECT_ID_PATTERNS

    assert set(labels.OBJECT_TYPES) == set(labels.OBJECT_TYPE_LABELS)
    assert set(OBJECT_ID_PATTERNS) == set(labels.OBJECT_TYPES) - {"instance"}


def test_every_object_type_the_code_records_can_be_filtered_by():
    """An object type a module records under (its ``…OBJECT_TYPE = "…"`` constant) that the
    DPO's list lacks would be an entry nobody can find by its object."""
    import re
    from pathlib import Path

    import servicestelle
    from servicestelle.dpo import labels

    root = Path(servicestelle.__file__).parent
    pattern = re.compile(r'^\w*OBJECT_TYPE\s*=\s*"([a-z_]+)"', re.MULTILINE)
    used = {
        name for path in root.rglob("*.py") for name in pattern.findall(path.read_text("utf-8"))
    }
    assert {"case", "report_vignette", "campaign", "activity"} <= used  # the scan finds them
    assert used <= set(labels.OBJECT_TYPES)
