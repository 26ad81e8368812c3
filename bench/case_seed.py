"""Many cases at once for the case-page and stats-rebuild benchmarks: a data migration's bulk
insert, not a workload.

Creating 100,000 cases with ``operations.create_case`` would take many minutes (one
transaction, one audit entry and one reference-number query per case). The rows are built
here the way the operations build them — a fresh data key per case wrapped under the
keyring's primary key and bound to its ``case_keys`` row, the payload in its storage form
sealed under that data key and bound to its ``cases`` row, the blind indexes of
``cases/indexes.py``, parts (deadlines, contacts and, if asked for, interventions) sealed
under the case's key and bound to their own rows — and inserted with executemany, a few
thousand cases per transaction.

By design this bypasses the audit log, like a data migration run by the schema owner: no
``case:record:create`` entries are written. The measured requests go through the real
application and do write theirs.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bench.case_texts import (
    CHANNELS,
    CONTACT_NOTES,
    DISTRICTS,
    FREQUENT_RESPONDENTS,
    INTERVENTION_DETAILS,
    INTERVENTION_TYPES,
    LEGAL_FORMS,
    NARRATIVES,
    RESPONDENT_KINDS,
    SAMPLE,
    SURNAMES,
)
from crypto.envelope import new_key, wrap_key
from servicestelle import services
from servicestelle.auth import operations as accounts
from servicestelle.cases import deadlines, indexes, parts, vault
from servicestelle.cases import payload as rules
from servicestelle.cases.models import (
    Case,
    CaseContact,
    CaseDeadline,
    CaseIntervention,
    CaseKey,
    CaseMember,
)
from servicestelle.centres.operations import create_centre
from servicestelle.roles import Role

#: Cases per transaction: a few MB of ciphertext, one commit (and fsync) each.
BATCH = 2_000
#: Cases are opened over this many days before "today" (about a four-year retention span).
SPAN_DAYS = 4 * 365
#: Share of cases with one or two deadlines, and with one to three contacts.
DEADLINE_SHARE, CONTACT_SHARE = 0.3, 0.4
#: Share of anonymous cases: no pseudonym, so no pseudonym index.
ANONYMOUS_SHARE = 0.05
#: Share of cases naming one of a few respondents that come up again and again.
FREQUENT_RESPONDENT_SHARE = 0.1
PASSWORD = "korrekt pferd batterie heftklammer"


@dataclass(frozen=True)
class Staff:
    """The measured counsellor (who logs in) and the colleagues who hold the other cases."""

    centre_id: int
    counsellor_id: int
    username: str
    totp_seed: bytes
    colleague_ids: tuple[int, ...]


@dataclass(frozen=True)
class SeededCase:
    id: int
    reference: str
    pseudonym: str
    respondent: str
    pseudonym_index: int | None
    respondent_index: int | None


@dataclass(frozen=True)
class Seeded:
    cases: int
    rows: int
    #: Seconds per case, one sample per transaction (building the rows, sealing, inserting).
    per_case: list[float]
    seconds: float
    #: The measured counsellor's cases.
    assigned: list[SeededCase]
    sealed_bytes: range


def create_staff(colleagues: int) -> Staff:
    """A centre, the counsellor who logs in (with a second factor) and their colleagues.

    Through the real operations (these few do write audit entries); inside an app context.
    """
    centre = create_centre("BENCH", "Servicestelle Benchmark")
    created = accounts.create_user(
        centre=centre,
        username="beraterin.bench",
        display_name="Beraterin Bench",
        password=PASSWORD,
        roles=(Role.COUNSELLOR,),
        with_second_factor=True,
    )
    assert created.seed is not None
    others = tuple(
        accounts.create_user(
            centre=centre,
            username=f"kollegin{n:02d}",
            display_name=f"Kollegin {n:02d}",
            password=PASSWORD,
            roles=(Role.COUNSELLOR,),
        ).user.id
        for n in range(1, colleagues + 1)
    )
    return Staff(centre.id, created.user.id, created.user.username, created.seed, others)


def stored_template() -> dict[str, Any]:
    """The sample payload validated and in its storage form; the cases vary a few fields."""
    return rules.to_storage(rules.load_payload(SAMPLE))


def _pseudonym(rng: random.Random) -> str:
    if rng.random() < ANONYMOUS_SHARE:
        return ""
    tail = "".join(rng.choices(string.ascii_uppercase + string.digits, k=4))
    return f"{rng.choice(string.ascii_uppercase)}-{tail}"


def _respondent(rng: random.Random) -> str:
    if rng.random() < FREQUENT_RESPONDENT_SHARE:
        return rng.choice(FREQUENT_RESPONDENTS)
    name = f"{rng.choice(RESPONDENT_KINDS)} {rng.choice(SURNAMES)} {rng.choice(LEGAL_FORMS)}"
    return name.strip()


def _status(rng: random.Random, opened_on: date, today: date) -> tuple[str, date | None]:
    age = (today - opened_on).days
    if (age > 180 and rng.random() < 0.85) or rng.random() < 0.05:
        return "closed", min(today, opened_on + timedelta(days=rng.randint(14, 170)))
    return ("waiting" if rng.random() < 0.25 else "open"), None


def _at_nine(day: date) -> datetime:
    return datetime.combine(day, clock_time(9), UTC)


@dataclass
class _Ids:
    """The next free id of each table whose rows are bound to their id by a ciphertext."""

    case: int
    deadline: int
    contact: int
    intervention: int

    @classmethod
    def after_existing(cls, connection: Connection) -> _Ids:
        def after(column: Any) -> int:
            return int(connection.scalar(sa.select(sa.func.max(column))) or 0) + 1

        return cls(
            after(Case.id),
            after(CaseDeadline.id),
            after(CaseContact.id),
            after(CaseIntervention.id),
        )


@dataclass
class _Batch:
    cases: list[dict[str, Any]]
    keys: list[dict[str, Any]]
    members: list[dict[str, Any]]
    deadlines: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    interventions: list[dict[str, Any]]

    def rows(self) -> int:
        parts = (self.cases, self.keys, self.members, self.deadlines, self.contacts)
        return sum(map(len, parts)) + len(self.interventions)


class _Builder:
    """Builds the rows of one case after another; needs an app context (keyring, settings)."""

    def __init__(
        self, staff: Staff, today: date, rng: random.Random, ids: _Ids, interventions: float
    ) -> None:
        keyring = services.keyring()
        self.kek_id = keyring.primary
        self.kek = keyring.key(keyring.primary)
        self.staff, self.today, self.rng, self.ids = staff, today, rng, ids
        self.template = stored_template()
        self.months = parts.deadline_months()
        self.sealed_sizes: list[int] = []
        self.intervention_share = interventions

    def payload(self, pseudonym: str, respondent: str, opened_on: date) -> dict[str, Any]:
        rng, template = self.rng, self.template
        incident_on = opened_on - timedelta(days=rng.randint(1, 60))
        return {
            **template,
            "incident": {
                **template["incident"],
                "date": incident_on.isoformat(),
                "district": rng.choice(DISTRICTS),
            },
            "respondent": {**template["respondent"], "name": respondent},
            "client": {**template["client"], "pseudonym": pseudonym},
            "account": {**template["account"], "narrative": rng.choice(NARRATIVES)},
        }

    def add(self, batch: _Batch, owner: int, opened_on: date, number: int) -> SeededCase:
        rng, case_id = self.rng, self.ids.case
        self.ids.case += 1
        status, closed_on = _status(rng, opened_on, self.today)
        pseudonym, respondent = _pseudonym(rng), _respondent(rng)
        data_key = new_key()
        sealer = vault.CaseVault(case_id, data_key)
        sealed = sealer.seal_json(
            "cases", "payload", case_id, self.payload(pseudonym, respondent, opened_on)
        )
        self.sealed_sizes.append(len(sealed))
        by_pseudonym = indexes.index_value(indexes.PSEUDONYM, pseudonym)
        by_respondent = indexes.index_value(indexes.RESPONDENT, respondent)
        created_at = _at_nine(opened_on)
        batch.cases.append(
            {
                "id": case_id,
                "centre_id": self.staff.centre_id,
                "year": opened_on.year,
                "number": number,
                "status": status,
                "opened_on": opened_on,
                "closed_on": closed_on,
                "created_at": created_at,
                "updated_at": _at_nine(closed_on or opened_on),
                "created_by": owner,
                "content_version": 1,
                "payload": sealed,
                "pseudonym_index": by_pseudonym,
                "respondent_index": by_respondent,
                "legal_hold": False,
                "statistics_excluded": False,
            }
        )
        wrapped = wrap_key(self.kek, self.kek_id, data_key, vault.key_binding(case_id))
        batch.keys.append(
            {
                "case_id": case_id,
                "kek_id": self.kek_id,
                "wrapped_key": wrapped,
                "version": 1,
                "created_at": created_at,
            }
        )
        batch.members.append(
            {
                "case_id": case_id,
                "user_id": owner,
                "kind": "assigned",
                "added_at": created_at,
                "added_by": owner,
            }
        )
        if rng.random() < DEADLINE_SHARE:
            for _ in range(rng.choice((1, 1, 1, 2))):
                batch.deadlines.append(self.deadline(sealer, owner, opened_on, closed_on))
        if rng.random() < CONTACT_SHARE:
            for _ in range(rng.randint(1, 3)):
                batch.contacts.append(self.contact(sealer, owner, opened_on))
        # Drawn only when asked for: the case-page benchmark's random sequence stays as it was.
        if self.intervention_share and rng.random() < self.intervention_share:
            for _ in range(rng.randint(1, 3)):
                batch.interventions.append(self.intervention(sealer, owner, opened_on))
        reference = f"{opened_on.year}-{number:04d}"
        return SeededCase(case_id, reference, pseudonym, respondent, by_pseudonym, by_respondent)

    def deadline(
        self, sealer: vault.CaseVault, owner: int, opened_on: date, closed_on: date | None
    ) -> dict[str, Any]:
        rng, row_id = self.rng, self.ids.deadline
        self.ids.deadline += 1
        kind = rng.choice(list(deadlines.DeadlineKind))
        trigger_on = opened_on - timedelta(days=rng.randint(0, 30))
        uncertain = rng.random() < 0.3
        due_on = deadlines.compute(kind, trigger_on, uncertain=uncertain, months=self.months).due_on
        # Met before it was due, unless the case is still open and the date is near.
        met = closed_on is not None or (due_on < self.today - timedelta(days=14))
        content = {"kind": kind.value, "trigger_on": trigger_on.isoformat(), "note": ""}
        return {
            "id": row_id,
            "case_id": sealer.case_id,
            "due_on": due_on,
            "uncertain": uncertain,
            "done_on": due_on - timedelta(days=rng.randint(1, 20)) if met else None,
            "content": sealer.seal_json("case_deadlines", "content", row_id, content),
            "created_at": _at_nine(opened_on),
            "created_by": owner,
        }

    def contact(self, sealer: vault.CaseVault, owner: int, opened_on: date) -> dict[str, Any]:
        rng, row_id = self.rng, self.ids.contact
        self.ids.contact += 1
        occurred_on = min(self.today, opened_on + timedelta(days=rng.randint(0, 120)))
        content = {
            "channel": rng.choice(CHANNELS),
            "duration_minutes": rng.choice((15, 20, 30, 45, 60, 90)),
            "note": rng.choice(CONTACT_NOTES),
        }
        return {
            "id": row_id,
            "case_id": sealer.case_id,
            "occurred_on": occurred_on,
            "content": sealer.seal_json("case_contacts", "content", row_id, content),
            "created_at": _at_nine(occurred_on),
            "created_by": owner,
        }

    def intervention(self, sealer: vault.CaseVault, owner: int, opened_on: date) -> dict[str, Any]:
        rng, row_id = self.rng, self.ids.intervention
        self.ids.intervention += 1
        occurred_on = min(self.today, opened_on + timedelta(days=rng.randint(0, 90)))
        # The stored form of parts.add_intervention (InterventionContentSchema().dump).
        content = {
            "type": rng.choice(INTERVENTION_TYPES),
            "details": rng.choice(INTERVENTION_DETAILS),
            "result": "",
        }
        return {
            "id": row_id,
            "case_id": sealer.case_id,
            "occurred_on": occurred_on,
            "content": sealer.seal_json("case_interventions", "content", row_id, content),
            "created_at": _at_nine(occurred_on),
            "created_by": owner,
        }


def _opening_days(count: int, today: date, rng: random.Random) -> Iterator[tuple[date, int]]:
    """(opened_on, number) of ``count`` cases, oldest first, numbered per year as opened."""
    days = sorted(rng.randrange(SPAN_DAYS) for _ in range(count))
    numbers: dict[int, int] = {}
    for days_ago in reversed(days):
        opened_on = today - timedelta(days=days_ago)
        numbers[opened_on.year] = numbers.get(opened_on.year, 0) + 1
        yield opened_on, numbers[opened_on.year]


def _insert(connection: Connection, batch: _Batch) -> None:
    connection.execute(sa.insert(Case), batch.cases)
    connection.execute(sa.insert(CaseKey), batch.keys)
    connection.execute(sa.insert(CaseMember), batch.members)
    if batch.deadlines:
        connection.execute(sa.insert(CaseDeadline), batch.deadlines)
    if batch.contacts:
        connection.execute(sa.insert(CaseContact), batch.contacts)
    if batch.interventions:
        connection.execute(sa.insert(CaseIntervention), batch.interventions)


def seed(
    engine: Engine,
    staff: Staff,
    *,
    count: int,
    assigned: int,
    today: date,
    rng: random.Random,
    interventions: float = 0.0,
) -> Seeded:
    """Insert ``count`` cases of the staff's centre; ``assigned`` of them, spread over the
    years, belong to the measured counsellor, the rest to colleagues in turn. A share
    ``interventions`` of the cases gets one to three interventions (none by default).

    Needs an app context (keyring, settings). ``engine`` is the schema owner's where the
    application's role may not write ids (PostgreSQL); ids are given explicitly because
    every ciphertext is bound to its row's id.
    """
    mine = set(rng.sample(range(count), assigned))
    with engine.connect() as connection:
        ids = _Ids.after_existing(connection)
    builder = _Builder(staff, today, rng, ids, interventions)
    ours: list[SeededCase] = []
    per_case: list[float] = []
    rows = 0
    started = time.perf_counter()
    openings = _opening_days(count, today, rng)
    for first in range(0, count, BATCH):
        batch_started = time.perf_counter()
        batch = _Batch([], [], [], [], [], [])
        size = min(BATCH, count - first)
        for n in range(first, first + size):
            opened_on, number = next(openings)
            owner = (
                staff.counsellor_id
                if n in mine
                else staff.colleague_ids[n % len(staff.colleague_ids)]
            )
            seeded = builder.add(batch, owner, opened_on, number)
            if n in mine:
                ours.append(seeded)
        with engine.begin() as connection:
            _insert(connection, batch)
        rows += batch.rows()
        per_case.append((time.perf_counter() - batch_started) / size)
    sizes = builder.sealed_sizes
    return Seeded(
        count,
        rows,
        per_case,
        time.perf_counter() - started,
        ours,
        range(min(sizes), max(sizes) + 1),
    )


def advance_sequences(engine: Engine) -> None:
    """PostgreSQL: move the id sequences past the ids given explicitly (as the owner).

    Nothing in the benchmark inserts into these tables afterwards, but a database whose
    sequences lag behind its rows would be a trap for whoever reuses this code.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for table in ("cases", "case_deadlines", "case_contacts", "case_interventions"):
            connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )
