"""The code lists of DOMAIN.md (a): codes, German labels (English in the catalogue), AGG mapping.

Codes are stored in sealed case JSON and in the statistics, so a code is never renamed or
reused; only its label may change. Labels are German msgids, translated when rendered.

Every list except the closed technical ones ends with ``anderes`` (free text beside it) and
``keine_angabe``, as in the DeZIM/ADS Mindeststandards [S3]; the lists below never spell them
out, ``CodeList.entries()`` appends them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

#: Lower-case ASCII words joined by "_"; a word may start with a digit (age band ``18_26``).
CODE_PATTERN = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class Code:
    """One value of a code list; grounds and life areas have sub-items."""

    code: str
    # Left out of ==/hash: a LazyString compares by its translation in the current locale.
    label: LazyString = field(compare=False)
    sub: tuple[Code, ...] = ()
    #: Interventions: a code of INTERVENTION_GROUPS. Grounds: a code of AGG_GROUPS.
    group: str | None = None
    #: Names a state body acting under public law, where the AGG mostly does not apply.
    state_actor: bool = False


ANDERES = Code("anderes", _l("Anderes"))
KEINE_ANGABE = Code("keine_angabe", _l("Keine Angabe"))
_GENERIC = frozenset({ANDERES.code, KEINE_ANGABE.code})


@dataclass(frozen=True)
class CodeList:
    """A named list of codes; validates a selection the way a case form submits it."""

    name: str
    label: LazyString = field(compare=False)
    #: The list's own codes, without ANDERES and KEINE_ANGABE.
    codes: tuple[Code, ...]
    multiple: bool
    #: Append ANDERES (if ``other``) and KEINE_ANGABE; False for closed technical lists.
    generic: bool = True
    #: Append ANDERES; False where "other" cannot occur (age bands).
    other: bool = True
    _labels: dict[str, LazyString] = field(init=False, repr=False, compare=False)
    _parents: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Checked at import, so a broken list stops the application instead of a statistic.
        labels: dict[str, LazyString] = {}
        parents: dict[str, str] = {}
        if generic := [code.code for code in self.codes if code.code in _GENERIC]:
            raise ValueError(f"{self.name}: {generic} are appended, not listed")
        for top in self.entries():
            for item in (top, *top.sub):
                if not CODE_PATTERN.fullmatch(item.code) or item.code in labels:
                    raise ValueError(f"{self.name}: malformed or duplicate code {item.code!r}")
                labels[item.code] = item.label
            for sub in top.sub:
                if sub.sub:
                    raise ValueError(f"{self.name}: {sub.code} is nested too deeply")
                parents[sub.code] = top.code
        object.__setattr__(self, "_labels", labels)
        object.__setattr__(self, "_parents", parents)

    def entries(self) -> tuple[Code, ...]:
        """The top-level codes in display order, the generic ones last."""
        if not self.generic:
            return self.codes
        return (*self.codes, *((ANDERES,) if self.other else ()), KEINE_ANGABE)

    def values(self) -> frozenset[str]:
        return frozenset(entry.code for entry in self.entries())

    def sub_values(self) -> frozenset[str]:
        return frozenset(self._parents)

    def parent_of(self, sub_code: str) -> str:
        """The top-level code of a sub-item; KeyError for anything else."""
        return self._parents[sub_code]

    def label_of(self, code: str) -> LazyString:
        """The label of a top-level or sub-item code; KeyError if unknown."""
        return self._labels[code]

    def with_parents(
        self, values: Iterable[str], sub_values: Iterable[str] = ()
    ) -> tuple[list[str], list[str]]:
        """Add the parent of every chosen sub-item; both lists in the order of entries().

        Duplicates collapse. An unknown code raises KeyError: validate() first.
        """
        subs = set(sub_values)
        tops = set(values) | {self.parent_of(sub) for sub in subs}
        if unknown := sorted(tops - self.values()):
            raise KeyError(unknown[0])
        return (
            [entry.code for entry in self.entries() if entry.code in tops],
            [sub.code for entry in self.entries() for sub in entry.sub if sub.code in subs],
        )

    def validate(self, values: Iterable[str], sub_values: Iterable[str] = ()) -> list[str]:
        """German error messages for a selection; an empty list means it is valid.

        A sub-item without its parent is valid (it implies the parent). An empty selection is
        valid here: whether a field is required is the form's decision. The messages name the
        list, never the submitted value, which may be anything.
        """
        tops, subs = set(values), set(sub_values)
        errors: list[str] = []
        if not tops <= self.values() or not subs <= self.sub_values():
            errors.append(
                str(_l("%(list)s: Die Auswahl enthält einen unbekannten Wert.", list=self.label))
            )
        chosen = (tops & self.values()) | {self._parents[sub] for sub in subs & self.sub_values()}
        if not self.multiple and len(chosen) > 1:
            errors.append(str(_l("%(list)s: Bitte nur einen Wert auswählen.", list=self.label)))
        elif KEINE_ANGABE.code in chosen and len(chosen) > 1:
            errors.append(
                str(
                    _l(
                        "%(list)s: „Keine Angabe“ lässt sich nicht mit anderen Werten kombinieren.",
                        list=self.label,
                    )
                )
            )
        return errors


def _codes(
    *pairs: tuple[str, LazyString], group: str | None = None, state_actor: bool = False
) -> tuple[Code, ...]:
    return tuple(Code(code, label, group=group, state_actor=state_actor) for code, label in pairs)


# --- classifications of codes (not fields of a case, so not in ALL_LISTS) -------------------

#: How a ground maps onto AGG §1. A top-level ground is "teilweise" when its sub-items differ.
AGG_GROUPS = CodeList(
    "agg_groups",
    _l("Bezug zum AGG"),
    _codes(
        ("agg", _l("Merkmal nach § 1 AGG")),
        ("teilweise", _l("Teilweise Merkmal nach § 1 AGG")),
        ("nicht_agg", _l("Kein Merkmal nach § 1 AGG")),
    ),
    multiple=False,
    generic=False,
)

#: The three intervention levels of the Mindeststandards tool [S3], plus counselling alone.
INTERVENTION_GROUPS = CodeList(
    "intervention_groups",
    _l("Art der Intervention"),
    _codes(
        ("beratung", _l("Beratung ohne weitere Intervention")),
        ("nicht_rechtlich", _l("Nicht-rechtliche Intervention (über Beratung hinaus)")),
        ("rechtlich_aussergerichtlich", _l("Rechtliche, aber außergerichtliche Intervention")),
        ("gerichtlich", _l("Gerichtliche Intervention")),
    ),
    multiple=True,
    generic=False,
)

# --- A2 grounds ------------------------------------------------------------------------------

# Only race/ethnic origin is an AGG ground; citizenship, residence status and language are not
# [S10], nor is the experience of flight as such. Antisemitism stays a sub-item of its own,
# because ada.nrw reports it on a line of its own [S7,S8]. Chronic illness is an AGG disability
# only when it is long-term and hinders participation (CJEU C-335/11), hence "teilweise".
GROUNDS = CodeList(
    "grounds",
    _l("Diskriminierungsmerkmale"),
    (
        Code(
            "rassismus_antisemitismus_herkunft",
            _l("Antisemitismus, rassistische Zuschreibungen und (ethnische) Herkunft"),
            group="teilweise",
            sub=_codes(
                ("antimuslimischer_rassismus", _l("Antimuslimischer Rassismus")),
                ("anti_schwarzer_rassismus", _l("Anti-Schwarzer Rassismus")),
                ("antiziganismus", _l("Rassismus gegen Rom*nja/Sinti*zze")),
                ("antiasiatischer_rassismus", _l("Antiasiatischer Rassismus")),
                ("antislawischer_rassismus", _l("Antislawischer Rassismus")),
                ("antisemitismus", _l("Antisemitismus")),
                ("ethnische_herkunft", _l("(Zugeschriebene) ethnische Herkunft")),
                group="agg",
            )
            + _codes(
                ("staatsangehoerigkeit", _l("Staatsangehörigkeit")),
                ("aufenthaltsstatus", _l("Aufenthaltsstatus")),
                ("fluchterfahrung", _l("Fluchterfahrung")),
                ("sprache", _l("Sprache")),
                group="nicht_agg",
            ),
        ),
        Code(
            "geschlecht",
            _l("Geschlecht"),
            group="agg",
            sub=_codes(
                ("frau_sexismus", _l("Frausein/Sexismus")),
                ("mann", _l("Mannsein")),
                ("trans", _l("Trans*")),
                ("inter", _l("Inter*")),
                ("nicht_binaer", _l("Nicht-binär")),
                group="agg",
            ),
        ),
        Code(
            "sexuelle_identitaet",
            _l("Sexuelle Identität"),
            group="agg",
            sub=_codes(
                ("lesbisch", _l("Lesbisch")),
                ("schwul", _l("Schwul")),
                ("bisexuell", _l("Bisexuell")),
                ("queer", _l("Queer")),
                ("asexuell", _l("Asexuell")),
                group="agg",
            ),
        ),
        Code(
            "lebensalter",
            _l("Lebensalter"),
            group="agg",
            sub=_codes(
                ("hohes_alter", _l("Hohes Alter")),
                ("geringes_alter", _l("Geringes Alter")),
                group="agg",
            ),
        ),
        Code(
            "behinderung_chronische_erkrankung",
            _l("Behinderung/chronische Erkrankung"),
            group="teilweise",
            sub=(
                Code("behinderung", _l("Behinderung"), group="agg"),
                Code("chronische_erkrankung", _l("Chronische Erkrankung"), group="teilweise"),
            ),
        ),
        Code(
            "religion_weltanschauung",
            _l("Religion/Weltanschauung"),
            group="agg",
            sub=_codes(
                ("buddhismus", _l("Buddhismus")),
                ("christentum", _l("Christentum")),
                ("hinduismus", _l("Hinduismus")),
                ("islam", _l("Islam")),
                ("judentum", _l("Judentum")),
                ("konfessionslos", _l("Konfessionslos")),
                ("weltanschauung", _l("Weltanschauung")),
                group="agg",
            ),
        ),
        Code(
            "sozialer_status",
            _l("Sozialer Status"),
            group="nicht_agg",
            sub=_codes(
                ("bildung", _l("Bildung")),
                ("einkommen", _l("Einkommen")),
                ("wohnsituation", _l("Wohnsituation")),
                group="nicht_agg",
            ),
        ),
        # Used by some centres [S24,S25]; top-level so that they count in the statistics.
        *_codes(
            ("aeussere_erscheinung", _l("Äußere Erscheinung")),
            ("gewicht", _l("Gewicht")),
            ("fuersorgeverantwortung", _l("Fürsorgeverantwortung")),
            ("familienstand", _l("Familienstand")),
            group="nicht_agg",
        ),
    ),
    multiple=True,
)

# --- A3 life areas ---------------------------------------------------------------------------

# state_actor [I]: the AGG's civil-law protection does not reach bodies acting under public law;
# ADS counts requests about them apart (25 % in 2024) [S18]. The flag is set on every code
# concerned, top and sub, so a statistic can count at either level. Authorities, courts and
# police are state bodies with all their sub-items. "Bildung" is mixed, so only sub-items carry
# it: schools (incl. the decision on special needs, taken by the school authority) and
# universities are public in NRW nearly without exception; most Kitas are run by free carriers
# under private-law contracts, so they are not. Health insurers are left out: statutory and
# private ones share the code.
LIFE_AREAS = CodeList(
    "life_areas",
    _l("Lebensbereiche"),
    (
        Code(
            "arbeit",
            _l("Arbeit"),
            sub=_codes(
                ("anbahnung_zugang", _l("Anbahnung/Zugang zu einem Beschäftigungsverhältnis")),
                ("durchfuehrung", _l("Durchführung des Beschäftigungsverhältnisses")),
                ("arbeitsalltag", _l("Arbeitsalltag")),
                ("beendigung", _l("Beendigung des Arbeitsverhältnisses")),
            ),
        ),
        Code(
            "bildung",
            _l("Bildung"),
            sub=_codes(("kita", _l("Kita")))
            + _codes(
                ("schule", _l("Schule")),
                ("sonderpaedagogischer_foerderbedarf", _l("Sonderpädagogischer Förderbedarf")),
                ("hochschule", _l("Hochschule")),
                state_actor=True,
            )
            + _codes(
                ("weiterbildung", _l("Weiterbildung")),
                ("private_bildungseinrichtung", _l("Private Bildungseinrichtung")),
            ),
        ),
        Code(
            "aemter_behoerden",
            _l("Ämter und Behörden"),
            state_actor=True,
            sub=_codes(
                ("jobcenter_arbeitsagentur", _l("Jobcenter/Arbeitsagentur")),
                ("auslaenderbehoerde", _l("Ausländerbehörde")),
                ("finanzamt", _l("Finanzamt")),
                ("jugendamt", _l("Jugendamt")),
                ("standesamt", _l("Standesamt")),
                ("ordnungsamt", _l("Ordnungsamt")),
                ("gewerbeamt", _l("Gewerbeamt")),
                ("buergeramt", _l("Bürgeramt/Einwohnermeldeamt")),
                state_actor=True,
            ),
        ),
        Code(
            "justiz_polizei",
            _l("Justiz und Polizei"),
            state_actor=True,
            sub=_codes(("justiz", _l("Justiz")), ("polizei", _l("Polizei")), state_actor=True),
        ),
        Code(
            "gueter_dienstleistungen",
            _l("Güter und Dienstleistungen"),
            sub=_codes(
                ("geschaeft", _l("Geschäft")),
                ("gastronomie", _l("Gastronomie")),
                ("fitnessstudio", _l("Fitnessstudio")),
                ("kultureinrichtung", _l("Kultureinrichtung")),
                ("nachtleben", _l("Nachtleben/Bar/Disko")),
                ("finanzdienstleistung", _l("Finanzdienstleistung")),
                ("hotel", _l("Hotel")),
                ("post_lieferdienst", _l("Post/Lieferdienste")),
                ("oepnv_fernverkehr", _l("ÖPNV und Fernverkehr")),
            ),
        ),
        Code(
            "wohnen",
            _l("Wohnen"),
            sub=_codes(
                ("wohnungssuche", _l("Wohnungssuche")),
                ("bestehendes_wohnverhaeltnis", _l("Bestehendes Wohnverhältnis")),
            ),
        ),
        Code(
            "gesundheit_pflege",
            _l("Gesundheit und Pflege"),
            sub=_codes(
                ("krankenhaus", _l("Krankenhaus")),
                ("arztpraxis", _l("Ärzt*innenpraxis")),
                ("psychosoziale_einrichtung", _l("Psychosoziale Einrichtung")),
                ("pflegeeinrichtung", _l("Pflegeeinrichtung")),
                ("krankenversicherung", _l("Krankenversicherung")),
            ),
        ),
        Code(
            "oeffentlichkeit_freizeit",
            _l("Öffentlichkeit und Freizeit"),
            sub=_codes(
                ("persoenliches_umfeld", _l("Persönliches Umfeld")),
                ("oeffentlicher_raum", _l("Öffentlicher Raum")),
                ("verein", _l("Verein")),
                ("religioese_einrichtung", _l("Religiöse Einrichtung")),
            ),
        ),
        Code(
            "medien",
            _l("Medien"),
            sub=_codes(
                ("soziale_medien", _l("Soziale Medien/soziale Netzwerke")),
                ("onlinemedien", _l("Onlinemedien")),
                ("printmedien", _l("Printmedien")),
                ("fernsehen_radio", _l("Fernsehen/Radio")),
                ("internet", _l("Internet")),
                ("werbung", _l("Werbung")),
            ),
        ),
    ),
    multiple=True,
)

# --- A4 forms, A1 assessments ----------------------------------------------------------------

FORMS = CodeList(
    "forms",
    _l("Diskriminierungsformen"),
    _codes(
        ("zugang_verwehrt", _l("Verwehrung von Zugang/Ausschluss von bestehender Teilhabe")),
        ("ungleichbehandlung", _l("Verwehrung gleichwertiger Behandlung, Bewertung und Leistung")),
        ("belaestigung", _l("Belästigung")),
        ("sexualisierte_belaestigung", _l("Sexualisierte Belästigung")),
        ("anweisung", _l("Anweisung zur Diskriminierung")),
        ("viktimisierung", _l("Benachteiligung wegen einer Diskriminierungsbeschwerde")),
        ("straftat", _l("Straftatbestand (z. B. Beleidigung, Körperverletzung)")),
        (
            "alltagsdiskriminierung",
            _l("Grenzüberschreitungen/Alltagsdiskriminierung/Mikroaggressionen/Othering"),
        ),
    ),
    multiple=True,
)

LEVELS = CodeList(
    "levels",
    _l("Diskriminierungsebene"),
    _codes(
        ("individuell", _l("Individuell")),
        ("institutionell", _l("Institutionell")),
        ("strukturell", _l("Strukturell")),
    ),
    multiple=False,
)

#: The counsellor's assessment, not a legal finding.
AGG_RELEVANCE = CodeList(
    "agg_relevance",
    _l("AGG-Relevanz"),
    _codes(
        ("agg_relevant", _l("AGG-relevant")),
        ("nicht_agg_relevant", _l("Nicht AGG-relevant")),
        ("unklar", _l("Unklar")),
    ),
    multiple=False,
)

#: AGG §3(1) and (2).
LEGAL_MODE = CodeList(
    "legal_mode",
    _l("Art der Benachteiligung"),
    _codes(
        ("unmittelbar", _l("Unmittelbare Benachteiligung")),
        ("mittelbar", _l("Mittelbare Benachteiligung")),
    ),
    multiple=False,
)

CONSEQUENCES = CodeList(
    "consequences",
    _l("Folgen"),
    _codes(
        ("psychosozial", _l("Psychosoziale Folgen")),
        ("gesellschaftlich", _l("Gesellschaftliche Folgen")),
        ("materiell", _l("Materielle Folgen")),
    ),
    multiple=True,
)

# --- A5 respondents, A6 interventions, A7 outcome, closure ---------------------------------

RESPONDENT_TYPES = CodeList(
    "respondent_types",
    _l("Verursachende"),
    _codes(
        ("arbeitgeber_vorgesetzte", _l("Arbeitgeber*in/Vorgesetzte")),
        ("kolleg_innen", _l("Kolleg*innen")),
        ("vermieter_wohnungsunternehmen", _l("Vermieter*in/Wohnungsunternehmen")),
        ("nachbarschaft", _l("Nachbarschaft")),
        ("unternehmen_dienstleister", _l("Unternehmen/Dienstleister")),
    )
    + _codes(("behoerde", _l("Behörde")), ("polizei", _l("Polizei")), state_actor=True)
    # Schools and universities are mostly public, but the type also covers Kitas and private
    # providers; the life area (bildung/schule) says which.
    + _codes(
        ("bildungseinrichtung", _l("Bildungseinrichtung")),
        ("gesundheitseinrichtung", _l("Gesundheitseinrichtung")),
        ("privatperson_unbekannt", _l("Privatperson/unbekannte Person")),
        ("medien_online", _l("Medien/online")),
    ),
    multiple=False,
)

INTERVENTIONS = CodeList(
    "interventions",
    _l("Interventionsformen"),
    _codes(
        ("beratung_empowerment", _l("Beratung/psychosoziale Unterstützung/Empowerment")),
        group="beratung",
    )
    + _codes(
        ("gedaechtnisprotokoll_beweissicherung", _l("Gedächtnisprotokoll, Beweissicherung")),
        ("beschwerdebrief", _l("Beschwerdebrief")),
        ("stellungnahme_anfordern", _l("Stellungnahme der Gegenseite anfordern")),
        ("vermittlung_schlichtung", _l("Vermittlung/Konfliktvermittlung/Schlichtung")),
        ("begleitung", _l("Begleitung zu Behörden, Schulen usw.")),
        ("testing", _l("Testing")),
        (
            "institutionelle_intervention",
            _l("Impulse für institutionelle Veränderung, Contract Compliance"),
        ),
        ("oeffentlichkeitsarbeit", _l("Öffentlichkeits-/Medienarbeit (mit Einwilligung)")),
        ("verweisung", _l("Weitervermittlung (Fachdienst, Rechtsanwält*in)")),
        group="nicht_rechtlich",
    )
    + _codes(
        ("agg_beschwerde_13", _l("Beschwerde bei der betrieblichen Stelle (§ 13 AGG)")),
        ("geltendmachung_agg", _l("Schriftliche Geltendmachung (§ 15 Abs. 4/§ 21 Abs. 5 AGG)")),
        ("aufsichtsbeschwerde", _l("Dienst-/Fachaufsichtsbeschwerde")),
        ("strafanzeige", _l("Strafanzeige")),
        group="rechtlich_aussergerichtlich",
    )
    + _codes(
        ("klage_prozessbegleitung", _l("Klage/Prozessbegleitung/Beistand (§ 23 AGG)")),
        group="gerichtlich",
    ),
    multiple=True,
)

#: The intervention that means the case went to court (DOMAIN.md A6, AGG §23). It is the only
#: code of the group "gerichtlich": the statistics rely on "went to court" and that group
#: being the same cases (stats/tables.SAME_CASES; a test holds the list to it).
COURT_INTERVENTION = "klage_prozessbegleitung"
COURT_GROUP = "gerichtlich"

#: What came of the case; why it was closed is CLOSURE_REASONS (DOMAIN A7: separate fields).
OUTCOMES = CodeList(
    "outcomes",
    _l("Ergebnis"),
    _codes(
        ("ziel_erreicht", _l("Ziel erreicht")),
        ("ziel_teilweise_erreicht", _l("Ziel teilweise erreicht")),
        ("ziel_nicht_erreicht", _l("Ziel nicht erreicht")),
        ("entschuldigung", _l("Entschuldigung")),
        ("entschaedigung_schadensersatz", _l("Entschädigung/Schadensersatz")),
        ("vergleich", _l("Vergleich")),
        ("strukturelle_aenderung", _l("Strukturelle Änderung (z. B. geänderte Regel)")),
        ("gericht_erfolgreich", _l("Gerichtsverfahren erfolgreich")),
        ("gericht_erfolglos", _l("Gerichtsverfahren erfolglos")),
        ("abbruch_ratsuchende", _l("Abbruch durch die ratsuchende Person")),
        ("kontakt_abgebrochen", _l("Kontakt abgebrochen")),
        ("verwiesen", _l("Weiterverwiesen")),
    ),
    # Several at once are common: an apology and a changed rule, a settlement and money.
    multiple=True,
)

#: [I] Not in any source read (DOMAIN.md names no list); a proposal.
CLOSURE_REASONS = CodeList(
    "closure_reasons",
    _l("Grund des Fallabschlusses"),
    _codes(
        ("anliegen_bearbeitet", _l("Anliegen bearbeitet")),
        ("ratsuchende_beendet", _l("Von der ratsuchenden Person beendet")),
        ("kein_kontakt_mehr", _l("Kein Kontakt mehr")),
        ("weitervermittelt", _l("Weitervermittelt")),
        ("nicht_zustaendig", _l("Nicht zuständig")),
    ),
    multiple=False,
)

# --- A8 client and contact (bands only; minimised) ------------------------------------------

REQUESTER_TYPES = CodeList(
    "requester_types",
    _l("Anfrage durch"),
    _codes(
        ("betroffene_person", _l("Betroffene Person")),
        ("angehoerige", _l("Angehörige")),
        ("zeug_in", _l("Zeug*in")),
        ("fachkraft_institution", _l("Fachkraft/Institution")),
        ("gruppe", _l("Gruppe")),
    ),
    multiple=False,
)

CONTACT_CHANNELS = CodeList(
    "contact_channels",
    _l("Kontaktweg"),
    _codes(
        ("persoenlich", _l("Persönlich")),
        ("telefon", _l("Telefon")),
        ("email", _l("E-Mail")),
        ("brief", _l("Brief")),
        ("online_chat", _l("Online-Chat")),
        ("video", _l("Video")),
        ("messenger", _l("Messenger")),
        ("aufsuchend", _l("Aufsuchend")),
    ),
    multiple=False,
)

# DOMAIN's "sonstiges" is left out: the generic "anderes" means the same.
REFERRAL_SOURCES = CodeList(
    "referral_sources",
    _l("Aufmerksam geworden durch"),
    _codes(
        ("internet", _l("Internet")),
        ("privat_empfehlung", _l("Private Empfehlung")),
        ("andere_beratungsstelle", _l("Andere Beratungsstelle")),
        ("ads_verweis", _l("Verweis durch die Antidiskriminierungsstelle des Bundes")),
        ("behoerde", _l("Behörde")),
        ("veranstaltung_oeffentlichkeitsarbeit", _l("Veranstaltung/Öffentlichkeitsarbeit")),
    ),
    multiple=False,
)

# The bands cover every age, so there is no "anderes"; "keine_angabe" is appended.
AGE_BANDS = CodeList(
    "age_bands",
    _l("Altersgruppe"),
    _codes(
        ("u18", _l("Unter 18 Jahre")),
        ("18_26", _l("18–26 Jahre")),
        ("27_45", _l("27–45 Jahre")),
        ("46_64", _l("46–64 Jahre")),
        ("65_plus", _l("65 Jahre und älter")),
    ),
    multiple=False,
    other=False,
)

# Self-described; trans and inter are recorded as grounds, not here.
GENDERS = CodeList(
    "genders",
    _l("Geschlecht (Selbstbezeichnung)"),
    _codes(
        ("weiblich", _l("Weiblich")),
        ("maennlich", _l("Männlich")),
        ("nicht_binaer_divers", _l("Nicht-binär/divers")),
    ),
    multiple=False,
)

LANGUAGE_SUPPORT = CodeList(
    "language_support",
    _l("Sprachliche Unterstützung"),
    _codes(
        ("dolmetschung", _l("Dolmetschung (auch Deutsche Gebärdensprache)")),
        ("leichte_sprache", _l("Leichte Sprache")),
    ),
    multiple=True,
)

# --- technical lists -------------------------------------------------------------------------

# Whose view the classification records (DeZIM [S2]). Closed: one side, the other, or both,
# and the counsellor recording it always knows which.
PERSPECTIVE = CodeList(
    "perspective",
    _l("Perspektive der Einordnung"),
    _codes(
        ("beratende", _l("Beratende")),
        ("ratsuchende", _l("Ratsuchende")),
        ("beide", _l("Beide")),
    ),
    multiple=False,
    generic=False,
)

DATE_PRECISION = CodeList(
    "date_precision",
    _l("Genauigkeit des Datums"),
    _codes(
        ("genau", _l("Tagesgenau")),
        ("monat", _l("Nur Monat bekannt")),
        ("jahr", _l("Nur Jahr bekannt")),
        ("unbekannt", _l("Unbekannt")),
    ),
    multiple=False,
    generic=False,
)

# English codes, unlike the rest: the case model and its queries use these values.
CASE_STATUS = CodeList(
    "case_status",
    _l("Status"),
    _codes(
        ("open", _l("Offen")),
        ("waiting", _l("Wartet")),
        ("closed", _l("Abgeschlossen")),
    ),
    multiple=False,
    generic=False,
)

# GDPR Art. 9(2)(a): explicit consent per purpose; a case vignette needs a consent of its own.
CONSENT_PURPOSES = CodeList(
    "consent_purposes",
    _l("Zwecke der Einwilligung"),
    _codes(
        ("beratungsdokumentation", _l("Dokumentation der Beratung")),
        ("kontakt_gegenseite", _l("Kontaktaufnahme mit der Gegenseite")),
        ("statistik", _l("Anonymisierte Statistik")),
        ("fallvignette", _l("Anonymisierte Fallvignette")),
    ),
    multiple=True,
    generic=False,
)

CONSENT_FORMS = CodeList(
    "consent_forms",
    _l("Form der Einwilligung"),
    _codes(("schriftlich", _l("Schriftlich")), ("muendlich", _l("Mündlich"))),
    multiple=False,
    generic=False,
)

# Geltendmachung: the written assertion of a claim that AGG §15(4)/§21(5) require within two
# months; ArbGG §61b then sets three months to sue (work only).
DEADLINE_KINDS = CodeList(
    "deadline_kinds",
    _l("Fristart"),
    _codes(
        ("agg_15_4", _l("Geltendmachung AGG § 15 Abs. 4 (Arbeit)")),
        ("agg_21_5", _l("Geltendmachung AGG § 21 Abs. 5 (Zivilrecht)")),
        ("arbgg_61b", _l("Klagefrist ArbGG § 61b")),
    ),
    multiple=False,
    generic=False,
)

#: Every list a case field takes its values from; each name is its constant's name in lower case.
ALL_LISTS: tuple[CodeList, ...] = (
    GROUNDS,
    LIFE_AREAS,
    FORMS,
    LEVELS,
    AGG_RELEVANCE,
    LEGAL_MODE,
    CONSEQUENCES,
    RESPONDENT_TYPES,
    INTERVENTIONS,
    OUTCOMES,
    CLOSURE_REASONS,
    REQUESTER_TYPES,
    CONTACT_CHANNELS,
    REFERRAL_SOURCES,
    AGE_BANDS,
    GENDERS,
    LANGUAGE_SUPPORT,
    PERSPECTIVE,
    DATE_PRECISION,
    CASE_STATUS,
    CONSENT_PURPOSES,
    CONSENT_FORMS,
    DEADLINE_KINDS,
)

_BY_NAME = {code_list.name: code_list for code_list in ALL_LISTS}


def by_name(name: str) -> CodeList:
    """The list called ``name``; KeyError if there is none."""
    return _BY_NAME[name]


#: Lists with a code that on its own reveals a special category of GDPR Art. 9 (origin,
#: religion, health, sex life or orientation): no blind index may be built on them, since an
#: equality index would let anyone holding it group people by such a trait.
#: - grounds: nearly every ground is an Art. 9 trait.
#: - life_areas: psychosoziale_einrichtung, sonderpaedagogischer_foerderbedarf and
#:   pflegeeinrichtung point to health, religioese_einrichtung to religion.
#: - consequences: psychosozial records an effect on the person's mental health.
#: - language_support: interpreting into sign language reveals a disability.
SPECIAL_CATEGORY_LISTS: frozenset[str] = frozenset(
    {GROUNDS.name, LIFE_AREAS.name, CONSEQUENCES.name, LANGUAGE_SUPPORT.name}
)
