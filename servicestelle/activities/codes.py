"""The code lists of an activity (DOMAIN.md A9, c2): what kind of activity, under which
Eckpunkt of the Integrationsagenturen, and which Aufgabenfeld or Servicefunktion.

Codes are stored and appear in the CSV exports, so a code is never renamed or reused; only
its German label may change.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

#: What kind of activity it was.
TYPES: dict[str, LazyString] = {
    "workshop": _l("Workshop"),
    "fortbildung": _l("Fortbildung, Schulung"),
    "institutionsberatung": _l("Beratung von Institutionen zu Antidiskriminierungskonzepten"),
    "netzwerk_gremium": _l("Netzwerk- oder Gremiensitzung"),
    "oeffentliche_veranstaltung": _l("Öffentliche Veranstaltung"),
    "publikation": _l("Publikation, Newsletter"),
    "kampagne": _l("Kampagne"),
    "sonstiges": _l("Sonstiges"),
}

#: The four Eckpunkte of the Integrationsagenturen NRW (Richtlinie; DOMAIN.md c2).
ECKPUNKTE: dict[str, LazyString] = {
    "buergerschaftliches_engagement": _l("Bürgerschaftliches Engagement"),
    "interkulturelle_oeffnung": _l("Interkulturelle Öffnung"),
    "sozialraumorientierte_arbeit": _l("Sozialraumorientierte Arbeit"),
    "antidiskriminierungsarbeit": _l("Antidiskriminierungsarbeit"),
}
#: Aufgabenfelder and Servicefunktionen belong to this Eckpunkt (Eckpunkt 4, DOMAIN.md A9).
ANTIDISKRIMINIERUNG = "antidiskriminierungsarbeit"

#: Eckpunkt 4: the Aufgabenfelder (task fields) …
AUFGABENFELDER: dict[str, LazyString] = {
    "sensibilisierung_information": _l("Sensibilisierung und Information"),
    "bildungsarbeit": _l("Bildungsarbeit"),
    "ad_arbeit_sozialraum": _l("Antidiskriminierungsarbeit im Sozialraum"),
    "netzwerk_kooperation": _l("Netzwerkarbeit und Kooperation"),
}
#: … and the Servicefunktionen (service functions of a Servicestelle).
SERVICEFUNKTIONEN: dict[str, LazyString] = {
    "qualifizierte_ad_beratung": _l("Qualifizierte Antidiskriminierungsberatung"),
    "gremienarbeit": _l("Gremienarbeit"),
    "ad_konzepte_institutionen": _l("Antidiskriminierungskonzepte für Institutionen"),
    "analyse_diskriminierung": _l("Analyse von Diskriminierung"),
    "materialien": _l("Materialien"),
}
#: Both, as one choice: an activity is filed under one Aufgabenfeld or one Servicefunktion.
TASKS: dict[str, LazyString] = {**AUFGABENFELDER, **SERVICEFUNKTIONEN}
TASK_GROUPS: tuple[tuple[LazyString, dict[str, LazyString]], ...] = (
    (_l("Aufgabenfelder"), AUFGABENFELDER),
    (_l("Servicefunktionen"), SERVICEFUNKTIONEN),
)


def label(codes: dict[str, LazyString], code: str | None) -> str:
    """The German label of a code; the code itself if the list no longer has it."""
    if code is None:
        return ""
    found = codes.get(code)
    return code if found is None else str(found)


def task_group(code: str) -> LazyString | None:
    """Whether a task code is an Aufgabenfeld or a Servicefunktion."""
    for name, codes in TASK_GROUPS:
        if code in codes:
            return name
    return None
