"""Synthetic demo history: two completed years of made-up cases, each published as a year
release under four eyes — so reports and campaign suggestions, which read published releases
only, have figures to show.

The cases hold codes only: no person's name, no typed place; the pseudonyms and the named
respondents end in "(Demo)", the one text is a marker. They are made by the real operations
(``create_case``, ``add_intervention``), so the statistics store is derived by the real code
path, and the releases go through the real workflow: a draft whose audit fails stays a draft.
The proportions follow what centres publish (DOMAIN.md (c)): racism by far the most frequent
ground, antisemitism on a line of its own, a few cases in court.

Deterministic: one seed per history year (older, later), and days of the month up to the 28th,
so the same cases come out whichever calendar years they fall into.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from servicestelle import catalogue, clock
from servicestelle.auth.models import User
from servicestelle.cases import access, operations, parts
from servicestelle.cases.models import Case
from servicestelle.extensions import db
from servicestelle.stats import operations as releases
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release, ReleaseKind, ReleaseStatus
from servicestelle.stats.tables import RACISM, TABLES

log = logging.getLogger(__name__)

SEED = 2017
#: Cases per history year, the older year first: a rise, as local reports show one.
CASES_PER_YEAR = (165, 190)
#: The share of each year's cases closed in the end (those whose closing day has come).
CLOSED_SHARE = (0.9, 0.75)
#: The only text the cases hold besides codes: whoever opens one sees what it is.
MARKER = "Erfundener Demo-Fall."
DEMO_SUFFIX = "(Demo)"

Weights = Mapping[str, int]


@dataclass(frozen=True)
class Respondent:
    """A respondent named in several cases a year: the repeated-respondents table counts it."""

    name: str
    type: str
    sub: str  # the life area's sub-item
    cases: int  # per year

    @property
    def area(self) -> str:
        return catalogue.LIFE_AREAS.parent_of(self.sub)


_HOUSING, _EMPLOYER = "vermieter_wohnungsunternehmen", "arbeitgeber_vorgesetzte"
#: Per life area, every count of the table is 0 or at least 5 (k): landlords and employers
#: named twice each, authorities five times or more.
RESPONDENTS = (
    Respondent("Wohnungsgesellschaft Nordstadt (Demo)", _HOUSING, "wohnungssuche", 2),
    Respondent("Immobilien Westfalen (Demo)", _HOUSING, "wohnungssuche", 2),
    Respondent("Hausverwaltung Borsigplatz (Demo)", _HOUSING, "bestehendes_wohnverhaeltnis", 2),
    Respondent("Wohnbau Eving (Demo)", _HOUSING, "bestehendes_wohnverhaeltnis", 2),
    Respondent("Vermietung am Hafen (Demo)", _HOUSING, "wohnungssuche", 2),
    Respondent("Jobcenter Musterstadt (Demo)", "behoerde", "jobcenter_arbeitsagentur", 7),
    Respondent("Ausländerbehörde Musterstadt (Demo)", "behoerde", "auslaenderbehoerde", 6),
    Respondent("Bürgeramt Mitte (Demo)", "behoerde", "buergeramt", 5),
    Respondent("Jugendamt Musterstadt (Demo)", "behoerde", "jugendamt", 5),
    Respondent("Ordnungsamt Musterstadt (Demo)", "behoerde", "ordnungsamt", 5),
    Respondent("Logistik Musterstadt GmbH (Demo)", _EMPLOYER, "arbeitsalltag", 2),
    Respondent("Pflegedienst Sonnenschein (Demo)", _EMPLOYER, "durchfuehrung", 2),
    Respondent("Reinigungsservice Blitzblank (Demo)", _EMPLOYER, "anbahnung_zugang", 2),
    Respondent("Spedition Westfalenhafen (Demo)", _EMPLOYER, "beendigung", 2),
    Respondent("Gebäudeservice Nord (Demo)", _EMPLOYER, "arbeitsalltag", 2),
)

#: Life areas of the cases without a repeated respondent: weight, then sub-items with weights.
LIFE_AREAS: dict[str, tuple[int, Weights]] = {
    "arbeit": (
        27,
        {"anbahnung_zugang": 3, "durchfuehrung": 2, "arbeitsalltag": 4, "beendigung": 2},
    ),
    "bildung": (13, {"kita": 1, "schule": 5, "hochschule": 1, "weiterbildung": 1}),
    "aemter_behoerden": (
        12,
        {"jobcenter_arbeitsagentur": 4, "auslaenderbehoerde": 3, "buergeramt": 1, "jugendamt": 1},
    ),
    "gueter_dienstleistungen": (
        14,
        {
            "geschaeft": 3,
            "gastronomie": 2,
            "nachtleben": 2,
            "finanzdienstleistung": 2,
            "oepnv_fernverkehr": 2,
        },
    ),
    "wohnen": (12, {"wohnungssuche": 3, "bestehendes_wohnverhaeltnis": 2}),
    "oeffentlichkeit_freizeit": (
        10,
        {"oeffentlicher_raum": 4, "persoenliches_umfeld": 2, "verein": 1},
    ),
    "justiz_polizei": (10, {"polizei": 1}),
    "gesundheit_pflege": (8, {"arztpraxis": 2, "krankenhaus": 1, "pflegeeinrichtung": 1}),
}
RESPONDENT_TYPES: dict[str, Weights] = {
    "arbeit": {_EMPLOYER: 6, "kolleg_innen": 4},
    "bildung": {"bildungseinrichtung": 1},
    "aemter_behoerden": {"behoerde": 1},
    "gueter_dienstleistungen": {"unternehmen_dienstleister": 1},
    "wohnen": {_HOUSING: 1},
    "oeffentlichkeit_freizeit": {"privatperson_unbekannt": 1},
    "justiz_polizei": {"polizei": 1},
    "gesundheit_pflege": {"gesundheitseinrichtung": 1},
}
#: A case's one ground: weight, then sub-items with weights. With the intersectional cases
#: below, racism comes to some 70-75 % of the cases (ada.nrw, DOMAIN.md (c): 68-73 %).
GROUNDS: dict[str, tuple[int, Weights]] = {
    RACISM: (
        54,
        {
            "antimuslimischer_rassismus": 32,
            "anti_schwarzer_rassismus": 22,
            "ethnische_herkunft": 13,
            "antisemitismus": 9,
            "antiziganismus": 9,
            "antiasiatischer_rassismus": 8,
            "staatsangehoerigkeit": 8,
        },
    ),
    "behinderung_chronische_erkrankung": (15, {"behinderung": 2, "chronische_erkrankung": 1}),
    "geschlecht": (13, {"frau_sexismus": 6, "trans": 1, "mann": 1}),
    "lebensalter": (10, {"hohes_alter": 1, "geringes_alter": 1}),
}
#: Where the other grounds are met (racism: everywhere, by LIFE_AREAS). Few life areas each,
#: so that their rows of the ground × life-area table are not all small counts.
AREAS_OF: dict[str, Weights] = {
    "behinderung_chronische_erkrankung": {
        "bildung": 4,
        "arbeit": 3,
        "gesundheit_pflege": 3,
        "aemter_behoerden": 2,
    },
    "geschlecht": {"arbeit": 6, "gueter_dienstleistungen": 2, "oeffentlichkeit_freizeit": 2},
    "lebensalter": {"arbeit": 3, "gueter_dienstleistungen": 1},
}
#: Intersectional cases, every n-th: racism together with a second ground (anti-Muslim racism
#: and Islam, anti-Black racism and sexism). Counted off, not drawn: a combination met by
#: chance two or three times would be hidden, and its neighbours with it.
INTERSECTIONAL: tuple[tuple[int, dict[str, str]], ...] = (
    (9, {RACISM: "antimuslimischer_rassismus", "religion_weltanschauung": "islam"}),
    (13, {RACISM: "anti_schwarzer_rassismus", "geschlecht": "frau_sexismus"}),
)
#: Sub-items that are no AGG ground (catalogue.GROUNDS).
NOT_AGG_SUBS = frozenset({"staatsangehoerigkeit"})
#: Public bodies acting under public law: outside the AGG's civil-law protection.
STATE_AREAS = frozenset({"aemter_behoerden", "justiz_polizei"})
AGG_AREAS = frozenset({"arbeit", "wohnen", "gueter_dienstleistungen", "gesundheit_pflege"})
FORMS: Weights = {
    "ungleichbehandlung": 34,
    "zugang_verwehrt": 24,
    "belaestigung": 22,
    "alltagsdiskriminierung": 12,
    "straftat": 6,
}
#: "" leaves the field empty: counted as "keine Angabe".
AGE_BANDS: Weights = {"u18": 6, "18_26": 18, "27_45": 40, "46_64": 24, "65_plus": 7, "": 6}
GENDERS: Weights = {"weiblich": 50, "maennlich": 40, "nicht_binaer_divers": 6, "": 5}
REQUESTERS: Weights = {"betroffene_person": 86, "angehoerige": 8, "fachkraft_institution": 6}
CHANNELS: Weights = {
    "telefon": 30,
    "email": 30,
    "persoenlich": 26,
    "online_chat": 7,
    "messenger": 6,
}
REFERRALS: Weights = {
    "internet": 30,
    "privat_empfehlung": 25,
    "andere_beratungsstelle": 20,
    "veranstaltung_oeffentlichkeitsarbeit": 10,
    "behoerde": 8,
    "": 7,
}
#: The demo register's codes (demo.DEMO_DISTRICTS).
DISTRICTS: Weights = {
    "innenstadt_nord": 30,
    "innenstadt_west": 20,
    "eving": 15,
    "scharnhorst": 12,
    "hombruch": 8,
    "": 15,
}
NOT_LEGAL = (
    "beschwerdebrief",
    "stellungnahme_anfordern",
    "vermittlung_schlichtung",
    "begleitung",
    "verweisung",
)
#: Every n-th AGG-relevant case goes to court: 4-5 % of the cases, a little more than
#: ada.nrw's 3 %, so that the court's figures reach k. Counted off, not drawn.
COURT_EVERY = 6
#: Outcomes by the path a closed case took; a case in court ends in a settlement with
#: compensation (as most AGG suits do), so the court's few cases are not split further.
COURT_OUTCOMES = ["vergleich", "entschaedigung_schadensersatz"]
OUTCOMES: dict[str, Weights] = {
    "beratung": {
        "ziel_erreicht": 4,
        "ziel_teilweise_erreicht": 3,
        "abbruch_ratsuchende": 2,
        "kontakt_abgebrochen": 2,
    },
    "nicht_rechtlich": {
        "entschuldigung": 4,
        "ziel_teilweise_erreicht": 3,
        "ziel_nicht_erreicht": 3,
    },
    "rechtlich": {
        "entschaedigung_schadensersatz": 1,
        "ziel_nicht_erreicht": 1,
        "entschuldigung": 1,
    },
}
CLOSURE_REASONS: Weights = {
    "anliegen_bearbeitet": 60,
    "ratsuchende_beendet": 15,
    "kein_kontakt_mehr": 15,
    "weitervermittelt": 10,
}


def _pick(rng: random.Random, weights: Weights) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _top(rng: random.Random, table: Mapping[str, tuple[int, Weights]]) -> str:
    return _pick(rng, {code: weight for code, (weight, _) in table.items()})


def _one(code: str) -> dict[str, Any]:
    return {"codes": [code] if code else [], "sub": [], "other": ""}


@dataclass
class DemoCase:
    """A made-up case: content, dates, the intervention of a closed one (days after opening)."""

    content: dict[str, Any]
    status: str
    opened_on: date
    closed_on: date | None = None
    intervention: str = ""
    intervention_after: int = 0


def _grounds(rng: random.Random, number: int, area: str | None) -> dict[str, str]:
    """Ground → sub-item: intersectional by number, else one ground met in ``area``."""
    for every, grounds in INTERSECTIONAL:
        if number % every == every // 2:
            return grounds
    top = _pick(
        rng,
        {
            code: weight
            for code, (weight, _) in GROUNDS.items()
            if code == RACISM or area is None or area in AREAS_OF[code]
        },
    )
    return {top: _pick(rng, GROUNDS[top][1])}


def _classification(
    rng: random.Random, grounds: dict[str, str], area: str, sub: str, kind: str
) -> dict[str, Any]:
    tops, subs = list(grounds), list(grounds.values())
    if area in STATE_AREAS or set(subs) <= NOT_AGG_SUBS:
        relevance = _pick(rng, {"nicht_agg_relevant": 8, "unklar": 2})
    elif area in AGG_AREAS:
        relevance = _pick(rng, {"agg_relevant": 7, "unklar": 2, "nicht_agg_relevant": 1})
    else:
        relevance = _pick(rng, {"nicht_agg_relevant": 6, "unklar": 3, "agg_relevant": 1})
    forms = [_pick(rng, FORMS)]
    if "geschlecht" in tops and rng.random() < 0.4:
        forms.append("sexualisierte_belaestigung")
    if kind in ("behoerde", "polizei") or area == "bildung":
        level = _pick(rng, {"institutionell": 6, "strukturell": 3, "individuell": 1})
    else:
        level = _pick(rng, {"individuell": 7, "institutionell": 2, "strukturell": 1})
    return {
        "grounds": {"codes": tops, "sub": subs, "other": ""},
        "life_areas": {"codes": [area], "sub": [sub], "other": ""},
        "forms": {"codes": forms, "sub": [], "other": ""},
        "level": _one(level),
        "agg_relevance": _one(relevance),
    }


def _path(rng: random.Random, relevance: str, kind: str, *, court: bool) -> tuple[str, str]:
    """How a closed case went: its outcome group and the intervention that went furthest
    (one each: every intervention is a write of its own, and the demo starts on first use)."""
    if court:
        return "gerichtlich", catalogue.COURT_INTERVENTION
    roll = rng.random()
    if roll < 0.2:
        if kind in ("behoerde", "polizei"):
            return "rechtlich", "aufsichtsbeschwerde"
        if relevance == "agg_relevant":
            return "rechtlich", _pick(rng, {"geltendmachung_agg": 2, "agg_beschwerde_13": 1})
        return "rechtlich", "strafanzeige"
    if roll < 0.55:
        return "nicht_rechtlich", rng.choice(NOT_LEGAL)
    return "beratung", "beratung_empowerment"


def make_cases(index: int, year: int, today: date) -> list[DemoCase]:
    """The made-up cases of one history year: ``index`` 0 for the older year, 1 the later.

    The cases and their dates are the same whatever ``today`` is; a case whose closing day
    has not come yet stays open.
    """
    rng = random.Random(SEED + index)  # noqa: S311 - made-up demo data, not a secret
    named = [respondent for respondent in RESPONDENTS for _ in range(respondent.cases)]
    cases = []
    agg_relevant = 0
    for number in range(CASES_PER_YEAR[index]):
        respondent = named[number] if number < len(named) else None
        grounds = _grounds(rng, number, respondent.area if respondent else None)
        if respondent is not None:
            area, sub, kind = respondent.area, respondent.sub, respondent.type
        else:
            top = next(iter(grounds))
            area = _pick(rng, AREAS_OF[top]) if top in AREAS_OF else _top(rng, LIFE_AREAS)
            sub, kind = _pick(rng, LIFE_AREAS[area][1]), _pick(rng, RESPONDENT_TYPES[area])
        classification = _classification(rng, grounds, area, sub, kind)
        content: dict[str, Any] = {
            "incident": {"district_code": _pick(rng, DISTRICTS)},
            "classification": classification,
            "respondent": {"type": _one(kind), "name": respondent.name if respondent else ""},
            "client": {
                "pseudonym": f"Ratsuchende {year}-{number + 1:03d} {DEMO_SUFFIX}",
                "age_band": _one(_pick(rng, AGE_BANDS)),
                "gender": _one(_pick(rng, GENDERS)),
                "requester_type": _one(_pick(rng, REQUESTERS)),
                "channel": _one(_pick(rng, CHANNELS)),
                "referral_source": _one(_pick(rng, REFERRALS)),
            },
            "account": {"narrative": MARKER},
        }
        opened_on = date(year, rng.randint(1, 12), rng.randint(1, 28))
        closed_on = opened_on + timedelta(days=rng.randint(10, 160))
        relevance = classification["agg_relevance"]["codes"][0]
        agg_relevant += relevance == "agg_relevant"
        court = relevance == "agg_relevant" and agg_relevant % COURT_EVERY == 0
        group, intervention = _path(rng, relevance, kind, court=court)
        # Drawn for every case, closed or not: what ``today`` decides draws nothing.
        outcome = COURT_OUTCOMES if court else [_pick(rng, OUTCOMES[group])]
        closure = {
            "outcome": {"codes": outcome, "sub": [], "other": ""},
            "reason": _one(_pick(rng, CLOSURE_REASONS)),
        }
        still_open = rng.choice(("open", "open", "waiting"))
        if rng.random() >= CLOSED_SHARE[index] or closed_on > today:
            cases.append(DemoCase(content, still_open, opened_on))
            continue
        content["closure"] = closure
        halfway = (closed_on - opened_on).days // 2
        cases.append(DemoCase(content, "closed", opened_on, closed_on, intervention, halfway))
    return cases


# --- writing -------------------------------------------------------------------------------


def history_years(today: date) -> tuple[int, int]:
    """The last two completed calendar years, the older first."""
    return today.year - 2, today.year - 1


def _opened_in(centre_id: int, year: int) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Case.centre_id == centre_id,
                Case.opened_on >= date(year, 1, 1),
                Case.opened_on <= date(year, 12, 31),
            )
        )
        or 0
    )


def _create(counsellor: User, spec: DemoCase) -> None:
    case = operations.create_case(
        counsellor,
        spec.content,
        operations.Metadata(status=spec.status, opened_on=spec.opened_on, closed_on=spec.closed_on),
    )
    if spec.intervention:
        parts.add_intervention(
            access.load(case.id, counsellor, content=True),
            spec.opened_on + timedelta(days=spec.intervention_after),
            {"type": spec.intervention},
        )


def publish_year(drafter: User, approver: User, year: int) -> Release | None:
    """Draft the year's release with every catalogue table; the second supervisor approves it.
    None (logged) if the year has a published release already, or drafting or approving is
    refused — a draft whose audit failed stays a draft, as any other would.
    """
    published = db.session.scalar(
        sa.select(Release.id).where(
            Release.centre_id == drafter.centre_id,
            Release.kind == ReleaseKind.RELEASE.value,
            Release.period == str(year),
            Release.status == ReleaseStatus.PUBLISHED.value,
        )
    )
    if published is not None:
        return None
    try:
        release = releases.draft_release(
            drafter, Period.parse(str(year)), [table.id for table in TABLES]
        )
    except releases.ReleaseError as exc:
        log.warning("demo history: no release drafted for %s: %s", year, exc)
        return None
    if not release.audit_passed:
        log.warning(
            "demo history: release %s of %s stays a draft, its audit did not pass: %s",
            release.id,
            year,
            json.loads(release.audit).get("reason"),
        )
        return None
    try:
        releases.approve_release(approver, release)
    except releases.ReleaseError as exc:
        log.warning("demo history: release %s of %s stays a draft: %s", release.id, year, exc)
        return None
    return release


def ensure_demo_history(counsellor: User, drafter: User, approver: User) -> dict[int, int]:
    """Create the two history years and publish a release for each (committed); year → cases
    made, empty when the history exists.

    Only if the centre has no case opened in the older year: the demo cases (demo_cases.py,
    at most a few weeks old) fall into the later year in January, never into the older one.
    """
    today = clock.today()
    years = history_years(today)
    if _opened_in(counsellor.centre_id, years[0]):
        return {}
    made = {}
    for index, year in enumerate(years):
        specs = make_cases(index, year, today)
        for spec in specs:
            _create(counsellor, spec)
        made[year] = len(specs)
    for year in years:
        publish_year(drafter, approver, year)
    log.info("demo history created: %s", ", ".join(f"{y}: {n} cases" for y, n in made.items()))
    return made
