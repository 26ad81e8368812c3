"""The small code lists of campaign planning, and the targets a campaign may name.

Targets use the catalogue's codes (grounds with the racism sub-forms the releases count
separately, life areas) and the centre's district register, so that a figure's key
conditions (``grounds=…``, ``ground_subs=…``, ``life_areas=…``, ``district=…``) become the
campaign's targets as they are.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from servicestelle import catalogue
from servicestelle.campaigns.models import CampaignStatus, Direction

STATUS_LABELS: dict[str, LazyString] = {
    CampaignStatus.IDEA: _l("Idee"),
    CampaignStatus.PLANNED: _l("geplant"),
    CampaignStatus.RUNNING: _l("laufend"),
    CampaignStatus.DONE: _l("abgeschlossen"),
}

DIRECTION_LABELS: dict[str, LazyString] = {
    Direction.LOWER: _l("senken"),
    Direction.RAISE: _l("erhöhen"),
    Direction.VISIBLE: _l("sichtbar machen"),
}

#: Who a campaign addresses: a short list of our own (not a catalogue list of cases).
AUDIENCE_LABELS: dict[str, LazyString] = {
    "schulen": _l("Schulen"),
    "verwaltung": _l("Verwaltung"),
    "arbeitgeber": _l("Arbeitgebende"),
    "vermietende": _l("Vermietende"),
    "oeffentlichkeit": _l("Öffentlichkeit"),
    "communities": _l("Communities"),
}

_GENERIC = {catalogue.ANDERES.code, catalogue.KEINE_ANGABE.code}
#: Racism sub-forms, counted on their own in the releases (stats.tables.RACISM).
_RACISM = "rassismus_antisemitismus_herkunft"


def ground_labels() -> dict[str, LazyString]:
    """Top-level grounds, then the racism sub-forms (antisemitism among them)."""
    labels: dict[str, LazyString] = {}
    for entry in catalogue.GROUNDS.entries():
        if entry.code in _GENERIC:
            continue
        labels[entry.code] = entry.label
        if entry.code == _RACISM:
            for sub in entry.sub:
                labels[sub.code] = sub.label
    return labels


def life_area_labels() -> dict[str, LazyString]:
    return {
        entry.code: entry.label
        for entry in catalogue.LIFE_AREAS.entries()
        if entry.code not in _GENERIC
    }


GROUND_LABELS = ground_labels()
LIFE_AREA_LABELS = life_area_labels()
SUB_GROUNDS = frozenset(code for code in GROUND_LABELS if code in catalogue.GROUNDS.sub_values())


def label(labels: Mapping[str, object], code: str) -> str:
    """A code's label; a code no longer known (a retired district) shows as itself."""
    found = labels.get(code)
    return str(found) if found is not None else code
