"""Synthetic demo cases: made-up people, made-up places, every part of a case once.

Nothing here resembles a real case; the names are obviously invented, the texts short. The
dates are relative to today, so the start page always has a deadline due soon and one overdue.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from servicestelle import clock
from servicestelle.auth.models import User
from servicestelle.cases import access, operations, parts, payload
from servicestelle.cases.models import Case
from servicestelle.extensions import db


def _selection(*codes: str, sub: tuple[str, ...] = (), other: str = "") -> dict[str, Any]:
    return {"codes": list(codes), "sub": list(sub), "other": other}


DEMO_CASES: tuple[dict[str, Any], ...] = (
    {
        "days_ago": 40,
        "content": {
            "incident": {
                "place": "Wohnungsbesichtigung (Demo)",
                "district_code": "innenstadt_nord",
                "district": "Nähe Nordmarkt (Demo)",
            },
            "classification": {
                "grounds": _selection(sub=("antimuslimischer_rassismus",)),
                "life_areas": _selection(sub=("wohnungssuche",)),
                "forms": _selection("zugang_verwehrt"),
                "level": _selection("individuell"),
                "agg_relevance": _selection("agg_relevant"),
            },
            "respondent": {
                "type": _selection("vermieter_wohnungsunternehmen"),
                "name": "Musterhaus Wohnen GmbH (Demo)",
            },
            "client": {
                "pseudonym": "Frau A. (Demo)",
                "age_band": _selection("27_45"),
                "gender": _selection("weiblich"),
                "requester_type": _selection("betroffene_person"),
                "channel": _selection("telefon"),
                "referral_source": _selection("internet"),
            },
            "account": {
                "client_goal": "Eine Entschuldigung und eine faire Chance bei der nächsten Wohnung.",
                "narrative": "Erfundener Demo-Fall: Nach dem Telefonat mit Nachnamen wurde die "
                "Besichtigung abgesagt; eine Testanfrage mit anderem Namen erhielt einen Termin.",
            },
        },
        "deadline": ("agg_21_5", 50),  # trigger 50 days ago: due in about 10 days
        "contact": ("telefon", 30, "Erstgespräch (Demo)"),
        "intervention": (
            "testing",
            "Testing mit zwei Anfragen (Demo)",
            "Ungleichbehandlung belegt",
        ),
    },
    {
        "days_ago": 75,
        "content": {
            "incident": {"district_code": "eving"},
            "classification": {
                "grounds": _selection(sub=("antisemitismus",)),
                "life_areas": _selection(sub=("arbeitsalltag",)),
                "forms": _selection("belaestigung"),
                "agg_relevance": _selection("agg_relevant"),
            },
            "respondent": {"type": _selection("kolleg_innen")},
            "client": {"pseudonym": "Herr B. (Demo)", "age_band": _selection("46_64")},
            "account": {"narrative": "Erfundener Demo-Fall: wiederholte Bemerkungen im Team."},
        },
        "deadline": ("agg_15_4", 70),  # trigger 70 days ago: overdue
        "contact": ("persoenlich", 60, "Beratungsgespräch (Demo)"),
        "intervention": ("agg_beschwerde_13", "Beschwerde bei der betrieblichen Stelle", ""),
    },
    {
        "days_ago": 12,
        "content": {
            "incident": {"district_code": "hombruch"},
            "classification": {
                "grounds": _selection(sub=("behinderung",)),
                "life_areas": _selection(sub=("schule",)),
                "level": _selection("institutionell"),
            },
            "client": {
                "pseudonym": "Familie C. (Demo)",
                "requester_type": _selection("angehoerige"),
                "language_support": _selection("leichte_sprache"),
            },
            "account": {"narrative": "Erfundener Demo-Fall: Nachteilsausgleich verweigert."},
        },
        "contact": ("email", None, "Anfrage per E-Mail (Demo)"),
    },
    {"days_ago": 3, "content": {"client": {"pseudonym": "Anonym (Demo)"}}},
)


def ensure_demo_cases(counsellor: User) -> int:
    """Create the demo cases once (none if the centre has cases); returns how many were made."""
    existing = db.session.scalar(
        sa.select(sa.func.count()).where(Case.centre_id == counsellor.centre_id)
    )
    if existing:
        return 0
    today = clock.today()
    for spec in DEMO_CASES:
        opened_on = today - timedelta(days=spec["days_ago"])
        case = operations.create_case(
            counsellor,
            payload.load_payload(spec["content"]),
            operations.Metadata(status="open", opened_on=opened_on),
        )
        reach = access.load(case.id, counsellor, content=True)
        _add_parts(reach, spec, opened_on, today)
    return len(DEMO_CASES)


def _add_parts(
    reach: access.CaseAccess, spec: dict[str, Any], opened_on: date, today: date
) -> None:
    if "contact" in spec:
        channel, minutes, note = spec["contact"]
        parts.add_contact(
            reach, opened_on, {"channel": channel, "duration_minutes": minutes, "note": note}
        )
    if "intervention" in spec:
        kind, details, result = spec["intervention"]
        parts.add_intervention(
            reach,
            opened_on + timedelta(days=2),
            {"type": kind, "details": details, "result": result},
        )
    if "deadline" in spec:
        kind, days = spec["deadline"]
        parts.add_deadline(reach, kind, today - timedelta(days=days), uncertain=kind == "agg_21_5")
    parts.record_consent(reach, "beratungsdokumentation", opened_on, "schriftlich")
