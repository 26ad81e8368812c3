"""The case's side of the statistics store: which figures a case gives, and when they change.

``stats/`` never sees a case (it may not import this package, nor anything that decrypts):
the mapping from a case's opened content to categorical ``CaseFigures`` lives here, and every
operation that changes what the store holds calls ``record`` in its own transaction — creating
and saving a case, adding an intervention, recording or withdrawing the statistics consent.
Retention removes the record with the case.

What goes over: codes (the free text of "anderes" stays behind), the months of first contact
and closing, the district *code* (never the typed place), the status, and a full-length keyed
digest of the respondent's normalised name, which the store re-keys into its token.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from crypto.blind_index import BlindIndex, normalise
from servicestelle import catalogue, services
from servicestelle.cases import indexes, vault
from servicestelle.cases import payload as payload_rules
from servicestelle.cases.models import Case, CaseIntervention
from servicestelle.extensions import db
from servicestelle.stats import store
from servicestelle.stats.models import NO_ANSWER

log = logging.getLogger(__name__)

#: The whole HMAC, not the case table's 13-bit index: two respondents must not share a token
#: by chance. Keyed apart from every case index (its own HKDF info); the store re-keys it.
RESPONDENT_DIGEST = BlindIndex("stats", "respondent", 256)
#: The intervention that means the case went to court (DOMAIN.md A6, AGG §23).
COURT_INTERVENTION = catalogue.COURT_INTERVENTION
#: The group of counselling alone (DOMAIN.md A6: "counselling only").
COUNSELLING_ONLY = "beratung"
#: Cases opened per transaction by ``rebuild``.
BATCH_SIZE = 500

_GROUP_OF: dict[str, str | None] = {
    entry.code: entry.group for entry in catalogue.INTERVENTIONS.entries()
}
# An intervention typed as "anderes" went beyond counselling too: it counts in the group
# "anderes" (the statistics dimension has it), never as "counselling only".
_GROUP_OF[catalogue.ANDERES.code] = catalogue.ANDERES.code


def _month(day: date | None) -> str | None:
    return None if day is None else f"{day.year:04d}-{day.month:02d}"


def respondent_digest(name: str | None, *, master: bytes | None = None) -> bytes | None:
    """A 256-bit keyed digest of the normalised name ("Müller GmbH" = "mueller gmbh"); None
    when no respondent was named. ``master``: the index master key, where the caller holds
    it already (a rebuild, per batch: the keyring checks its file on every look-up)."""
    if name is None or not normalise(name):
        return None
    if master is None:
        master = _master_key()
    return RESPONDENT_DIGEST.value(master, name).to_bytes(RESPONDENT_DIGEST.bits // 8, "big")


def _master_key() -> bytes:
    return services.keyring().named_key(indexes.MASTER_KEY_NAME)


def figures_of(
    case: Case, payload: Mapping[str, Any], interventions: Iterable[Mapping[str, Any]]
) -> store.CaseFigures:
    """The figures of a case from its opened payload and its opened interventions."""
    classification = payload["classification"]
    client = payload["client"]
    types = {str(item["type"]) for item in interventions}
    groups = {group for kind in types if (group := _GROUP_OF.get(kind)) is not None}
    if groups - {COUNSELLING_ONLY}:
        # "Beratung ohne weitere Intervention": a case that went further counts there only.
        groups.discard(COUNSELLING_ONLY)
    opened_month = _month(case.opened_on)
    assert opened_month is not None  # noqa: S101 - opened_on is NOT NULL; narrows the type
    return store.CaseFigures(
        opened_month=opened_month,
        closed_month=_month(case.closed_on),
        status=case.status,
        # The register's code (centres/); the typed place (incident.district) never goes over.
        district=payload["incident"].get("district_code") or NO_ANSWER,
        grounds=classification["grounds"]["codes"],
        ground_subs=classification["grounds"]["sub"],
        life_areas=classification["life_areas"]["codes"],
        life_area_subs=classification["life_areas"]["sub"],
        forms=classification["forms"]["codes"],
        level=classification["level"]["codes"],
        agg_relevance=classification["agg_relevance"]["codes"],
        went_to_court=COURT_INTERVENTION in types,
        interventions=tuple(types),
        intervention_groups=tuple(groups),
        outcomes=payload["closure"]["outcome"]["codes"],
        respondent_type=payload["respondent"]["type"]["codes"],
        age_band=client["age_band"]["codes"],
        gender=client["gender"]["codes"],
        requester_type=client["requester_type"]["codes"],
        channel=client["channel"]["codes"],
        referral_source=client["referral_source"]["codes"],
    )


def _opened_payload(case: Case, opened: vault.CaseVault) -> dict[str, Any]:
    if case.payload is None:
        raise vault.CaseUnreadable
    stored = opened.open_json("cases", "payload", case.id, case.payload)
    try:
        return payload_rules.from_storage(stored)
    except payload_rules.StoredContentInvalid as exc:
        log.error("the payload of case %s does not have its shape at %s", case.id, exc)
        raise vault.CaseUnreadable from None


#: Built once: only its fields are read (``part_from_storage``), and building costs more than
#: reading a case's interventions with it.
_INTERVENTION_SCHEMA = payload_rules.InterventionContentSchema()


def _opened_interventions(
    opened: vault.CaseVault, rows: Iterable[CaseIntervention]
) -> list[dict[str, Any]]:
    try:
        return [
            payload_rules.part_from_storage(
                _INTERVENTION_SCHEMA,
                opened.open_json("case_interventions", "content", row.id, row.content),
            )
            for row in rows
        ]
    except payload_rules.StoredContentInvalid as exc:
        log.error("an intervention of case %s does not have its shape at %s", opened.case_id, exc)
        raise vault.CaseUnreadable from None


def _interventions_of(case_ids: Sequence[int]) -> dict[int, list[CaseIntervention]]:
    rows = db.session.scalars(
        sa.select(CaseIntervention)
        .where(CaseIntervention.case_id.in_(case_ids))
        .order_by(CaseIntervention.id)
    )
    found: dict[int, list[CaseIntervention]] = defaultdict(list)
    for row in rows:
        found[row.case_id].append(row)
    return found


def _derivation(
    case: Case,
    opened: vault.CaseVault,
    rows: Iterable[CaseIntervention],
    payload: Mapping[str, Any] | None = None,
    master: bytes | None = None,
) -> store.Derivation:
    content = payload if payload is not None else _opened_payload(case, opened)
    figures = figures_of(case, content, _opened_interventions(opened, rows))
    digest = respondent_digest(content["respondent"]["name"], master=master)
    return store.Derivation(case.centre_id, case.id, figures, digest)


def record(
    case: Case,
    payload: Mapping[str, Any] | None = None,
    opened: vault.CaseVault | None = None,
) -> None:
    """Bring the case's statistics record up to date, in the caller's transaction: derived
    from its content, or removed when the client withdrew the statistics consent.

    ``payload`` and ``opened`` spare a second decryption where the caller holds them already.
    """
    if case.statistics_excluded:
        store.remove(case.id)
        return
    reach = opened if opened is not None else vault.open_vault(case.id)
    rows = _interventions_of([case.id]).get(case.id, [])
    store.derive_many([_derivation(case, reach, rows, payload)])


# --- rebuild ---------------------------------------------------------------------------------


@dataclass
class RebuildResult:
    cases: int = 0
    derived: int = 0
    excluded: int = 0
    #: Cases whose content did not open: their records stay as they were.
    unreadable: int = 0
    removed: int = 0


def _scope(centre_id: int | None) -> sa.ColumnElement[bool]:
    return sa.true() if centre_id is None else Case.centre_id == centre_id


def cases_to_rebuild(centre_id: int | None = None) -> tuple[int, int]:
    """How many cases a rebuild opens, and how many it leaves out (statistics consent
    withdrawn)."""
    rows = db.session.execute(
        sa.select(Case.statistics_excluded, sa.func.count())
        .where(_scope(centre_id))
        .group_by(Case.statistics_excluded)
    ).all()
    counts = {bool(excluded): int(number) for excluded, number in rows}
    return counts.get(False, 0), counts.get(True, 0)


def _rebuild_batch(cases: Sequence[Case], result: RebuildResult) -> None:
    """Write the records of one batch of cases (the caller commits)."""
    rows = _interventions_of([case.id for case in cases])
    # The keys of the batch in one SELECT, not one per case (a round trip each on PostgreSQL).
    vaults = vault.open_vaults(case.id for case in cases if not case.statistics_excluded)
    master = _master_key()
    read: dict[int, tuple[int, bool]] = {}
    derived = []
    for case in cases:
        read[case.id] = (case.content_version, case.statistics_excluded)
        if case.statistics_excluded:
            continue
        opened = vaults.get(case.id)
        if opened is None:  # logged by open_vaults
            result.unreadable += 1
            continue
        try:
            derived.append(_derivation(case, opened, rows.get(case.id, []), master=master))
        except vault.CaseUnreadable:
            result.unreadable += 1
    result.derived += store.derive_many(derived)
    # SQLite reads outside the write transaction: a save, a withdrawal or a deletion committed
    # after the cases were read would be overwritten. The write above holds SQLite's lock now
    # (PostgreSQL: the rows were locked FOR UPDATE when read), so this second look is final.
    now = db.session.execute(
        sa.select(Case.id, Case.content_version, Case.statistics_excluded).where(
            Case.id.in_(list(read))
        )
    ).all()
    current = {case_id: (version, excluded) for case_id, version, excluded in now}
    for case in cases:
        if current.get(case.id) == read[case.id]:
            continue
        if case.id not in current or current[case.id][1]:
            store.remove(case.id)
            continue
        db.session.refresh(case)
        try:
            record(case)
        except vault.CaseUnreadable:
            result.unreadable += 1


def rebuild(
    centre_id: int | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> RebuildResult:
    """Derive every record anew from the cases (of one centre, or all), committing per batch,
    then delete the records of cases that are gone or left the statistics.

    The caller records the run's one audit event (and commits it) before: this opens the
    content of every case in scope.
    """
    result = RebuildResult()
    after = 0
    while True:
        batch = db.session.scalars(
            sa.select(Case)
            .where(_scope(centre_id), Case.id > after)
            .order_by(Case.id)
            .limit(batch_size)
            .options(orm.lazyload(Case.members))
            .with_for_update(of=Case)
        ).all()
        if not batch:
            break
        after = batch[-1].id
        result.cases += len(batch)
        result.excluded += sum(case.statistics_excluded for case in batch)
        _rebuild_batch(batch, result)
        db.session.commit()
        if progress is not None:
            progress(len(batch))
    result.removed = store.prune(lambda: _valid_case_ids(centre_id), centre_id)
    db.session.commit()
    log.info(
        "statistics store rebuilt: %s cases, %s derived, %s excluded, %s unreadable, %s removed",
        result.cases,
        result.derived,
        result.excluded,
        result.unreadable,
        result.removed,
    )
    return result


def _valid_case_ids(centre_id: int | None) -> list[int]:
    """The cases that belong in the store: existing, statistics consent not withdrawn.
    A case that does not open counts too: its record stays as it was."""
    return list(
        db.session.scalars(
            sa.select(Case.id).where(_scope(centre_id), Case.statistics_excluded.is_(False))
        )
    )
