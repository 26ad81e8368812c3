"""CSV of the annual activity report: the activities list, and the summary tables in one file.

Semicolon-separated, UTF-8 with byte-order mark (stats.downloads: what German spreadsheets
read), every text cell escaped against formula injection as the statistics exports do.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from flask_babel import force_locale

from servicestelle.activities import codes
from servicestelle.activities.report import AnnualReport, Line
from servicestelle.stats.exports import text_cell

ACTIVITY_COLUMNS = (
    "datum",
    "bis",
    "titel",
    "art",
    "art_bezeichnung",
    "eckpunkt",
    "eckpunkt_bezeichnung",
    "aufgabe",
    "aufgabe_bezeichnung",
    "stadtteil",
    "teilnehmende",
    "partnerorganisationen",
    "kurzbeschreibung",
)


def activities_csv(report: AnnualReport, district_names: Mapping[str, str]) -> str:
    """One line per activity of the year, codes and German labels side by side."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(ACTIVITY_COLUMNS)
    with force_locale("de"):
        for activity in report.activities:
            writer.writerow(
                [
                    activity.starts_on.isoformat(),
                    activity.ends_on.isoformat() if activity.ends_on else "",
                    text_cell(activity.title),
                    activity.type,
                    text_cell(codes.label(codes.TYPES, activity.type)),
                    activity.eckpunkt,
                    text_cell(codes.label(codes.ECKPUNKTE, activity.eckpunkt)),
                    activity.task or "",
                    text_cell(codes.label(codes.TASKS, activity.task)),
                    text_cell(
                        district_names.get(activity.district_code, activity.district_code)
                        if activity.district_code
                        else ""
                    ),
                    "" if activity.participants is None else str(activity.participants),
                    text_cell(activity.partners),
                    text_cell(" ".join(activity.description.split())),
                ]
            )
    return out.getvalue()


def _tally_section(writer: Any, title: str, heading: str, lines: list[Line]) -> None:
    writer.writerow([f"# {title}"])
    writer.writerow(
        [heading, "Code", "Anzahl", "Teilnehmende", "Aktivitäten mit Teilnehmendenzahl"]
    )
    for line in lines:
        writer.writerow(
            [
                text_cell(line.label),
                line.code,
                line.tally.count,
                line.tally.participants,
                line.tally.with_participants,
            ]
        )
    writer.writerow([])


def summary_csv(report: AnnualReport) -> str:
    """The report's tables one below the other, each under a "#" title line."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    with force_locale("de"):
        writer.writerow([f"# Jahresbericht Aktivitäten {report.year}"])
        writer.writerow(
            [
                "# Gesamt",
                f"Aktivitäten: {report.total.count}",
                f"Teilnehmende: {report.total.participants}",
            ]
        )
        writer.writerow([])
        _tally_section(writer, "Aktivitäten nach Eckpunkt", "Eckpunkt", report.by_eckpunkt)
        _tally_section(writer, "Aktivitäten nach Art", "Art", report.by_type)
        writer.writerow(["# Aktivitäten nach Art und Eckpunkt (Anzahl)"])
        writer.writerow(["Art", *(text_cell(str(label)) for label in codes.ECKPUNKTE.values())])
        for line in report.by_type:
            writer.writerow(
                [
                    text_cell(line.label),
                    *(
                        report.type_by_eckpunkt.get((line.code, eckpunkt), 0)
                        for eckpunkt in codes.ECKPUNKTE
                    ),
                ]
            )
        writer.writerow([])
        _tally_section(
            writer,
            "Aktivitäten nach Aufgabenfeld oder Servicefunktion (Eckpunkt Antidiskriminierungsarbeit)",
            "Aufgabenfeld oder Servicefunktion",
            report.by_task,
        )
        writer.writerow(["# Fallzahlen aus der veröffentlichten Jahresstatistik"])
        cases = report.cases
        if cases is None:
            writer.writerow([f"# Für {report.year} ist keine Jahresstatistik veröffentlicht."])
        elif not cases.has_table:
            writer.writerow(["# Die veröffentlichte Jahresstatistik enthält keine Fallzahlen."])
        else:
            writer.writerow(["# • = zum Schutz vor Rückrechnung nicht veröffentlicht"])
            writer.writerow(["", "Anzahl"])
            writer.writerow(["Neu aufgenommene Fälle", cases.shown(cases.opened)])
            writer.writerow(["Abgeschlossene Fälle", cases.shown(cases.closed)])
        writer.writerow([])
        if report.campaigns:
            writer.writerow(["# Kampagnen"])
            writer.writerow(
                ["Kampagne", "Status", "Beginn", "Ende", "Veranstaltungen", "Erreichte Personen"]
            )
            for campaign in report.campaigns:
                writer.writerow(
                    [
                        text_cell(campaign.title),
                        text_cell(campaign.status),
                        campaign.starts_on.isoformat(),
                        campaign.ends_on.isoformat(),
                        "" if campaign.events_held is None else campaign.events_held,
                        "" if campaign.people_reached is None else campaign.people_reached,
                    ]
                )
    return out.getvalue()
