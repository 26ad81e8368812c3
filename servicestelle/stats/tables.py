"""The table catalogue: what a release may contain, fixed and versioned.

The tables follow what centres publish (DOMAIN.md (c): the ada.nrw annual report and the
DeZIM/ADS minimum standard). There are no ad-hoc queries: a release is a period and a
selection of these tables. Changing a table's dimensions or basis means a new
``CATALOGUE_VERSION``; codes are never renamed (catalogue.py), so figures of older releases
stay comparable.

Every figure of a table is a count of cases (or, for repeated respondents, of respondents)
with a *key*: a counting basis and a set of conditions ``dimension=code``. The key names the
number independently of the table it appears in, so the disclosure model sees that the
"Arbeit" margin of the ground × life-area table and the "Arbeit" row of the life-area table
are one and the same number.

Adding a table changes no other table's figures, so it needs no new version: older releases
and packages simply lack it (a statewide draft asking for it refuses a package without it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from servicestelle import catalogue
from servicestelle.catalogue import CodeList

CATALOGUE_VERSION = 1
NO_ANSWER = catalogue.KEINE_ANGABE.code
OTHER = catalogue.ANDERES.code


class Basis(StrEnum):
    """What is counted, and which month decides the period."""

    OPENED = "opened"  # cases whose first contact lies in the period
    CLOSED = "closed"  # cases closed in the period
    #: respondents (pseudonymous tokens) with at least n cases opened in the period
    REPEATED_2 = "repeated_2"
    REPEATED_3 = "repeated_3"
    REPEATED_5 = "repeated_5"

    @property
    def per_quarter(self) -> bool:
        """Whether a figure of a longer period is the sum of its quarters' figures."""
        return self in (Basis.OPENED, Basis.CLOSED)

    @property
    def threshold(self) -> int:
        return {Basis.REPEATED_2: 2, Basis.REPEATED_3: 3, Basis.REPEATED_5: 5}[self]


REPEATED = (Basis.REPEATED_2, Basis.REPEATED_3, Basis.REPEATED_5)

BASIS_LABELS: dict[Basis, LazyString] = {
    Basis.OPENED: _l("neu aufgenommene Fälle (Erstkontakt im Zeitraum)"),
    Basis.CLOSED: _l("im Zeitraum abgeschlossene Fälle"),
    Basis.REPEATED_2: _l("Verursachende mit mindestens 2 Fällen im Zeitraum"),
    Basis.REPEATED_3: _l("Verursachende mit mindestens 3 Fällen im Zeitraum"),
    Basis.REPEATED_5: _l("Verursachende mit mindestens 5 Fällen im Zeitraum"),
}


@dataclass(frozen=True)
class Dimension:
    """A column of the statistics store, read as a classification of cases."""

    name: str  # the store column
    label: LazyString
    multiple: bool
    #: Codes in display order. Complete dimensions hold every record under at least (multiple)
    #: or exactly (single) one code: the store writes ``keine_angabe`` for an empty selection.
    codes: tuple[str, ...]
    labels: Mapping[str, LazyString]
    complete: bool = True
    #: A sub-item dimension: each code implies a code of this parent dimension.
    parent: str | None = None
    parent_of: Mapping[str, str] | None = None
    #: A dimension derived from another one's codes: how many of them a case has
    #: (``COMBINATION_CODES``). It reads that dimension's store column.
    combination_of: str | None = None

    def label_of(self, code: str) -> str:
        label = self.labels.get(code)
        return str(label) if label is not None else code

    @property
    def column(self) -> str:
        """The store column the dimension is read from."""
        return self.combination_of or self.name


def _from_list(name: str, code_list: CodeList, *, extra: tuple[str, ...] = ()) -> Dimension:
    codes = tuple(entry.code for entry in code_list.entries())
    codes += tuple(code for code in extra if code not in codes)
    generic = {OTHER: catalogue.ANDERES.label, NO_ANSWER: catalogue.KEINE_ANGABE.label}
    labels = {code: generic.get(code) or code_list.label_of(code) for code in codes}
    return Dimension(name, code_list.label, code_list.multiple, codes, labels)


def _sub_items(
    name: str, code_list: CodeList, parent: str, top: str, label: LazyString
) -> Dimension:
    """The sub-items of one top-level code, as a dimension of their own (a case may have
    none of them: not complete)."""
    entry = next(entry for entry in code_list.entries() if entry.code == top)
    codes = tuple(sub.code for sub in entry.sub)
    return Dimension(
        name,
        label,
        multiple=True,
        codes=codes,
        labels={sub.code: sub.label for sub in entry.sub},
        complete=False,
        parent=parent,
        parent_of=dict.fromkeys(codes, top),
    )


#: A combination dimension's codes: the case has exactly one code of the other dimension, two
#: or more, or none ("keine Angabe" there, which stands alone).
SINGLE = "einzeln"
SEVERAL = "mehrfach"
COMBINATION_CODES = (SINGLE, SEVERAL, NO_ANSWER)
#: How many codes of the other dimension a case under each combination code has: (at least,
#: at most — None: no upper bound). The disclosure model turns them into relations.
COMBINATION_COUNTS: dict[str, tuple[int, int | None]] = {
    SINGLE: (1, 1),
    SEVERAL: (2, None),
    NO_ANSWER: (1, 1),  # the one code "keine_angabe"
}


def _combination(name: str, of: str, label: LazyString) -> Dimension:
    return Dimension(
        name,
        label,
        multiple=False,
        codes=COMBINATION_CODES,
        labels={
            SINGLE: _l("nur dieses Merkmal"),
            SEVERAL: _l("mit weiteren Merkmalen"),
            NO_ANSWER: catalogue.KEINE_ANGABE.label,
        },
        combination_of=of,
    )


WENT_TO_COURT = Dimension(
    "went_to_court",
    _l("Gerichtsverfahren"),
    multiple=False,
    codes=("ja", "nein"),
    labels={"ja": _l("Klage oder Prozessbegleitung"), "nein": _l("ohne Gerichtsverfahren")},
)

#: Conditions that select exactly the same cases, so a reader knows their counts are equal:
#: a case went to court exactly when it has the court intervention, the only one of its group
#: (catalogue.COURT_INTERVENTION). The disclosure model turns each pair into an equation.
SAME_CASES: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = (
    (("went_to_court", "ja"), ("intervention_groups", catalogue.COURT_GROUP)),
    # No ground recorded: the combination of grounds is "keine Angabe" too.
    (("ground_combination", NO_ANSWER), ("grounds", NO_ANSWER)),
)

#: Racism sub-forms, antisemitism among them on its own line (ada.nrw).
RACISM = "rassismus_antisemitismus_herkunft"

DIMENSIONS: dict[str, Dimension] = {
    dimension.name: dimension
    for dimension in (
        _from_list("grounds", catalogue.GROUNDS),
        _sub_items(
            "ground_subs",
            catalogue.GROUNDS,
            "grounds",
            RACISM,
            _l("Rassismus nach Unterformen"),
        ),
        _combination(
            "ground_combination",
            "grounds",
            _l("Ein Merkmal oder mehrere (Mehrfachdiskriminierung)"),
        ),
        _from_list("life_areas", catalogue.LIFE_AREAS),
        _from_list("forms", catalogue.FORMS),
        _from_list("level", catalogue.LEVELS),
        _from_list("agg_relevance", catalogue.AGG_RELEVANCE),
        WENT_TO_COURT,
        _from_list("intervention_groups", catalogue.INTERVENTION_GROUPS, extra=(OTHER, NO_ANSWER)),
        _from_list("outcomes", catalogue.OUTCOMES),
        _from_list("respondent_type", catalogue.RESPONDENT_TYPES),
        _from_list("age_band", catalogue.AGE_BANDS),
        _from_list("gender", catalogue.GENDERS),
        _from_list("requester_type", catalogue.REQUESTER_TYPES),
        _from_list("channel", catalogue.CONTACT_CHANNELS),
        _from_list("referral_source", catalogue.REFERRAL_SOURCES),
    )
}

#: Districts come from each centre's register, not from a fixed list (``district_dimension``).
DISTRICT = "district"


def district_dimension(codes: Mapping[str, str]) -> Dimension:
    """The district dimension of one centre: its register's codes and names, then
    ``keine_angabe``."""
    ordered = (*(code for code in codes if code != NO_ANSWER), NO_ANSWER)
    labels: dict[str, LazyString | str] = dict(codes)
    labels[NO_ANSWER] = catalogue.KEINE_ANGABE.label
    return Dimension(
        DISTRICT, _l("Stadtteil oder Kreis"), multiple=False, codes=ordered, labels=labels
    )


@dataclass(frozen=True)
class Table:
    id: str
    title: LazyString
    basis: Basis
    #: Row and column dimensions (names); none for a table of totals.
    rows: str | None = None
    cols: str | None = None
    note: LazyString | None = None
    #: Extra rows of a total table: (basis, label) — e.g. opened and closed cases.
    totals: tuple[Basis, ...] = ()
    #: Column codes left out (cells nobody can be in: their count is always 0).
    hidden_cols: tuple[str, ...] = ()
    #: Not preselected for a draft: the table links others so tightly that small stores
    #: lose figures elsewhere to it (the draft page shows what it cost).
    optional: bool = False

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(name for name in (self.rows, self.cols) if name is not None)


TABLES: tuple[Table, ...] = (
    Table(
        "faelle",
        _l("Fälle: neu aufgenommen und abgeschlossen"),
        Basis.OPENED,
        totals=(Basis.OPENED, Basis.CLOSED),
    ),
    Table("merkmale", _l("Diskriminierungsmerkmale"), Basis.OPENED, rows="grounds"),
    Table(
        "rassismus",
        _l("Rassistische Diskriminierung nach Unterformen, Antisemitismus eigens"),
        Basis.OPENED,
        rows="ground_subs",
        note=_l("Nur Fälle mit dem Merkmal Rassismus, Antisemitismus oder Herkunft."),
    ),
    Table("lebensbereiche", _l("Lebensbereiche"), Basis.OPENED, rows="life_areas"),
    Table(
        "merkmal_lebensbereich",
        _l("Diskriminierungsmerkmal nach Lebensbereich"),
        Basis.OPENED,
        rows="grounds",
        cols="life_areas",
    ),
    Table(
        "mehrfachdiskriminierung",
        _l("Mehrfachdiskriminierung: Merkmale allein und in Kombination"),
        Basis.OPENED,
        rows="grounds",
        cols="ground_combination",
        hidden_cols=(NO_ANSWER,),
        # Per ground, single = margin - combined; the single cells add up to their total
        # exactly: a hidden small cell takes others with it, in the grounds table too.
        optional=True,
        note=_l(
            "„Mit weiteren Merkmalen“: Fälle mit zwei oder mehr Diskriminierungsmerkmalen "
            "(intersektionale oder mehrdimensionale Diskriminierung). Ein solcher Fall zählt "
            "in jeder seiner Zeilen, in „Gesamt“ einmal."
        ),
    ),
    Table("formen", _l("Diskriminierungsformen"), Basis.OPENED, rows="forms"),
    Table("ebene", _l("Ebene der Diskriminierung"), Basis.OPENED, rows="level"),
    Table(
        "agg_relevanz",
        _l("AGG-Relevanz nach Einschätzung der Beratung"),
        Basis.OPENED,
        rows="agg_relevance",
        note=_l("Der Anteil „nicht AGG-relevant“ zeigt, wie viele Fälle außerhalb des AGG liegen."),
    ),
    Table(
        "agg_gericht",
        _l("AGG-Relevanz und Gerichtsverfahren"),
        Basis.CLOSED,
        rows="agg_relevance",
        cols="went_to_court",
    ),
    Table(
        "interventionen", _l("Interventionen nach Gruppe"), Basis.CLOSED, rows="intervention_groups"
    ),
    Table("ergebnisse", _l("Ergebnisse"), Basis.CLOSED, rows="outcomes"),
    Table("verursachende", _l("Verursachende nach Art"), Basis.OPENED, rows="respondent_type"),
    Table("alter", _l("Ratsuchende nach Altersgruppe"), Basis.OPENED, rows="age_band"),
    Table("geschlecht", _l("Ratsuchende nach Geschlecht"), Basis.OPENED, rows="gender"),
    Table("zugang", _l("Ratsuchende nach Zugangsweg"), Basis.OPENED, rows="channel"),
    Table("vermittlung", _l("Ratsuchende nach Vermittlung"), Basis.OPENED, rows="referral_source"),
    Table(
        "stadtteile",
        _l("Fälle nach Stadtteil oder Kreis"),
        Basis.OPENED,
        rows=DISTRICT,
        note=_l("Der Stadtteil wird mit keinem anderen Merkmal gekreuzt."),
    ),
    Table(
        "wiederholte_verursachende",
        _l("Wiederholt genannte Verursachende nach Lebensbereich"),
        Basis.REPEATED_2,
        cols="life_areas",
        totals=REPEATED,
        note=_l(
            "Gezählt werden Verursachende, nicht Fälle; im Lebensbereich zählen nur die Fälle "
            "dieses Lebensbereichs."
        ),
    ),
)

TABLES_BY_ID: dict[str, Table] = {table.id: table for table in TABLES}
#: The tables a new draft starts with.
DEFAULT_TABLES: tuple[str, ...] = tuple(table.id for table in TABLES if not table.optional)


class Dimensions:
    """The fixed dimensions plus those of one instance: a centre's districts, a coordinator's
    regions (their codes come from a register, not from the catalogue)."""

    def __init__(self, local: Iterable[Dimension] = ()) -> None:
        self._local = {dim.name: dim for dim in local}

    def __getitem__(self, name: str) -> Dimension:
        local = self._local.get(name)
        return local if local is not None else DIMENSIONS[name]

    @classmethod
    def of_centre(cls, districts: Mapping[str, str]) -> Dimensions:
        return cls([district_dimension(districts)])


def multiple_answers(table: Table) -> bool:
    """Whether a case may count in more than one row or column of the table."""
    return any(DIMENSIONS[name].multiple for name in table.dimensions if name in DIMENSIONS)
