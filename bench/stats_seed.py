"""A million statistics-store records of one centre for the release benchmark, in bulk.

The records are written straight into ``stats_records`` (executemany, 10,000 per
transaction), as ``stats.store`` would store them: codes sorted and joined with ";", an empty
selection as "keine_angabe", sub-items as "" when none was chosen, pseudonyms as
HMAC-SHA256 of a running number under a key of the benchmark (no case stands behind them).

The spread (``Spread``): every record is opened in one calendar year, evenly over its
months; about 70 % are closed, zero to four months later (some in the next year). One to
three grounds per case, the first codes of each list far more often than the last (a Zipf
head, ``HEAD_EXPONENT``); racism comes with one or two of its sub-forms, other grounds with
a sub-item half of the time. One or two life areas, each usually with a sub-item. The
single-select codes follow the same head, and the last two codes of every list of four or
more (before "anderes" and "keine_angabe") are rare (``RARE``: a few records per million),
so that some cells fall below k and the suppression and the attacker audit have work to do.
Respondent tokens: none for 15 % of the cases, one of a few dozen frequent respondents for
10 %, the rest drawn from a pool about as large as the population (so many recur by chance).
"""

from __future__ import annotations

import bisect
import itertools
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from servicestelle import catalogue
from servicestelle.auth import operations as accounts
from servicestelle.auth.models import User
from servicestelle.catalogue import CodeList
from servicestelle.centres import operations as centres
from servicestelle.roles import Role
from servicestelle.stats import store
from servicestelle.stats.models import NO_ANSWER, SEPARATOR, StatsRecord

#: Records per executemany and transaction.
BATCH = 10_000
PASSWORD = "korrekt pferd batterie heftklammer"
#: The centre's district register: code, name.
DISTRICTS = (
    ("innenstadt_nord", "Innenstadt-Nord"),
    ("innenstadt_west", "Innenstadt-West"),
    ("hafen", "Hafen"),
    ("eving", "Eving"),
    ("hoerde", "Hörde"),
    ("aplerbeck", "Aplerbeck"),
)
#: Weights of code i of a list's head: 1 / (i + 1) ** HEAD_EXPONENT.
HEAD_EXPONENT = 1.0
#: Shares of the last two own codes of every list of four or more: about 20 and 3 records
#: per million.
RARE = (2e-5, 3e-6)
#: Shares of the generic codes, where a list has them.
OTHER_SHARE, NO_ANSWER_SHARE = 0.03, 0.05
CLOSED_SHARE = 0.7
#: Months after January of the year by which every closing lies: February of the next year
#: (the benchmark's "today" is in March).
LAST_CLOSING = 13
NO_RESPONDENT_SHARE, FREQUENT_RESPONDENT_SHARE = 0.15, 0.10
FREQUENT_RESPONDENTS = 40
RACISM = "rassismus_antisemitismus_herkunft"
COURT = "klage_prozessbegleitung"


@dataclass(frozen=True)
class Staff:
    centre_id: int
    supervisor_id: int


def create_staff() -> Staff:
    """A centre, its supervisor and its district register, through the operations (these few
    write audit entries); inside an app context."""
    centre = centres.create_centre("BENCH", "Servicestelle Benchmark")
    created = accounts.create_user(
        centre=centre,
        username="leitung.bench",
        display_name="Leitung Bench",
        password=PASSWORD,
        roles=(Role.SUPERVISOR,),
    )
    supervisor: User = created.user
    for code, name in DISTRICTS:
        centres.add_district(supervisor, code, name)
    return Staff(centre.id, supervisor.id)


class Codes:
    """Draws codes of one list with fixed weights (cumulative, for bisect)."""

    def __init__(self, codes: Sequence[str], weights: Sequence[float]) -> None:
        self.codes = tuple(codes)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    @classmethod
    def of(cls, code_list: CodeList, *, generic: bool = True) -> Codes:
        """The list's codes with a Zipf head, two rare ones, and the generic ones."""
        entries = [entry.code for entry in code_list.entries()]
        own = [code for code in entries if code not in (catalogue.ANDERES.code, NO_ANSWER)]
        return cls.weighted(own, generic=generic and code_list.generic, other=code_list.other)

    @classmethod
    def weighted(cls, own: Sequence[str], *, generic: bool = True, other: bool = True) -> Codes:
        # A list of two or three codes (a level, AGG relevance, some sub-items) has no rare one.
        tail = list(RARE) if len(own) > len(RARE) + 1 else []
        head = [1 / (i + 1) ** HEAD_EXPONENT for i in range(len(own) - len(tail))]
        extra_codes: list[str] = []
        extra: list[float] = []
        if generic:
            if other:
                extra_codes.append(catalogue.ANDERES.code)
                extra.append(OTHER_SHARE)
            extra_codes.append(NO_ANSWER)
            extra.append(NO_ANSWER_SHARE)
        scale = (1 - sum(tail) - sum(extra)) / sum(head)
        weights = [w * scale for w in head] + tail + extra
        return cls([*own, *extra_codes], weights)

    def one(self, rng: random.Random) -> str:
        return self.codes[bisect.bisect(self.cumulative, rng.random() * self.total)]

    def some(self, rng: random.Random, count: int) -> list[str]:
        """Up to ``count`` distinct codes (duplicates of a frequent code merge)."""
        return list(dict.fromkeys(self.one(rng) for _ in range(count)))


def _joined(codes: Sequence[str], *, empty: str = NO_ANSWER) -> str:
    """As the store writes a code collection: sorted, unique, joined; ``empty`` for none."""
    return SEPARATOR.join(sorted(set(codes))) or empty


def _multi(codes: list[str]) -> str:
    # "keine_angabe" is chosen alone, never beside a real answer.
    return NO_ANSWER if NO_ANSWER in codes else _joined(codes)


class Spread:
    """One record after another, for one centre and one calendar year."""

    def __init__(self, year: int, count: int, rng: random.Random) -> None:
        self.year, self.rng = year, rng
        self.grounds = Codes.of(catalogue.GROUNDS)
        self.life_areas = Codes.of(catalogue.LIFE_AREAS)
        self.subs = {
            entry.code: Codes.weighted([sub.code for sub in entry.sub], generic=False)
            for code_list in (catalogue.GROUNDS, catalogue.LIFE_AREAS)
            for entry in code_list.entries()
            if entry.sub
        }
        self.forms = Codes.of(catalogue.FORMS)
        self.interventions = Codes.of(catalogue.INTERVENTIONS, generic=False)
        self.group_of = {e.code: e.group for e in catalogue.INTERVENTIONS.entries()}
        self.outcomes = Codes.of(catalogue.OUTCOMES)
        single = {
            "level": catalogue.LEVELS,
            "agg_relevance": catalogue.AGG_RELEVANCE,
            "respondent_type": catalogue.RESPONDENT_TYPES,
            "age_band": catalogue.AGE_BANDS,
            "gender": catalogue.GENDERS,
            "requester_type": catalogue.REQUESTER_TYPES,
            "channel": catalogue.CONTACT_CHANNELS,
            "referral_source": catalogue.REFERRAL_SOURCES,
        }
        self.single = {name: Codes.of(code_list) for name, code_list in single.items()}
        self.district = Codes.weighted([code for code, _ in DISTRICTS], other=False)
        self.frequent = [
            os.urandom(store.RESPONDENT_TOKEN_BYTES) for _ in range(FREQUENT_RESPONDENTS)
        ]
        self.pool = max(1, count)
        self.token_key = os.urandom(32)
        self.pseudonym_key = os.urandom(32)

    def _month(self, index: int) -> str:
        year, month = divmod(index, 12)
        return f"{self.year + year:04d}-{month + 1:02d}"

    def _token(self, n: int) -> bytes | None:
        rng = self.rng
        draw = rng.random()
        if draw < NO_RESPONDENT_SHARE:
            return None
        if draw < NO_RESPONDENT_SHARE + FREQUENT_RESPONDENT_SHARE:
            return rng.choice(self.frequent)
        return store.pseudonym(rng.randrange(self.pool), key=self.token_key)[
            : store.RESPONDENT_TOKEN_BYTES
        ]

    def _subs(self, chosen: Sequence[str], share: float) -> list[str]:
        """Racism: one or two sub-forms; another code with sub-items: one, at ``share``."""
        rng, found = self.rng, []
        for code in chosen:
            codes = self.subs.get(code)
            if codes is None:
                continue
            if code == RACISM:
                found += codes.some(rng, rng.choice((1, 1, 2)))
            elif rng.random() < share:
                found.append(codes.one(rng))
        return found

    def record(self, centre_id: int, n: int) -> dict[str, Any]:
        rng = self.rng
        opened = rng.randrange(12)
        closed = rng.random() < CLOSED_SHARE
        grounds = self.grounds.some(rng, rng.choice((1, 1, 1, 2, 2, 3)))
        areas = self.life_areas.some(rng, rng.choice((1, 1, 1, 2)))
        interventions = self.interventions.some(
            rng, rng.choice((1, 2, 3)) if closed else rng.choice((0, 1, 2))
        )
        groups = {group for code in interventions if (group := self.group_of.get(code))}
        row = {
            "pseudonym": store.pseudonym(n, key=self.pseudonym_key),
            "centre_id": centre_id,
            "catalogue_version": store.CATALOGUE_VERSION,
            "opened_month": self._month(opened),
            "closed_month": self._month(min(opened + rng.randint(0, 4), LAST_CLOSING))
            if closed
            else None,
            "district": self.district.one(rng),
            "status": "closed" if closed else ("waiting" if rng.random() < 0.25 else "open"),
            "grounds": _multi(grounds),
            "ground_subs": _joined(self._subs(grounds, 0.5), empty=""),
            "life_areas": _multi(areas),
            "life_area_subs": _joined(self._subs(areas, 0.8), empty=""),
            "forms": _multi(self.forms.some(rng, rng.choice((1, 1, 2)))),
            "went_to_court": "ja" if COURT in interventions else "nein",
            "interventions": _joined(interventions),
            "intervention_groups": _joined(list(groups)),
            "outcomes": _multi(self.outcomes.some(rng, rng.choice((1, 2))))
            if closed
            else NO_ANSWER,
            "respondent_token": self._token(n),
        }
        for name, codes in self.single.items():
            row[name] = codes.one(rng)
        return row


@dataclass(frozen=True)
class Seeded:
    records: int
    seconds: float


def batches(spread: Spread, centre_id: int, count: int) -> Iterator[list[dict[str, Any]]]:
    for first in range(0, count, BATCH):
        yield [spread.record(centre_id, n) for n in range(first, min(first + BATCH, count))]


def seed(engine: Engine, centre_id: int, *, count: int, year: int, rng: random.Random) -> Seeded:
    """Insert ``count`` records of the centre, opened in ``year`` (one transaction per batch)."""
    spread = Spread(year, count, rng)
    insert = sa.insert(StatsRecord)
    started = time.perf_counter()
    for rows in batches(spread, centre_id, count):
        with engine.begin() as connection:
            connection.execute(insert, rows)
    return Seeded(count, time.perf_counter() - started)
