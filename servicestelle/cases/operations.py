"""Writers and readers of a case record. Each one: check → act → audit → commit.

The audit entry is written in the same transaction as the change (or the read), so that a
failed audit write leaves nothing behind. Reading sealed content writes exactly one
``case:content:read`` entry with its purpose, whatever the page shows of it.

Saving a case checks its district against the centre's register here, not in the form or
the API, so that no way of saving a case (the pages, the API, the demo data) skips it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

import audit
from audit import AuditEvent
from servicestelle import audit_trail, clock
from servicestelle.auth.models import User
from servicestelle.cases import indexes, statistics, vault
from servicestelle.cases import payload as payload_rules
from servicestelle.cases.access import OBJECT_TYPE, CaseAccess
from servicestelle.cases.models import Case, CaseMember
from servicestelle.centres.models import Centre
from servicestelle.centres.operations import DISTRICT_CODE
from servicestelle.centres.queries import get_district_by_code
from servicestelle.database import rowcount
from servicestelle.extensions import db
from servicestelle.permissions import Permission

log = logging.getLogger(__name__)

#: How often a new reference number is tried when another case took it meanwhile.
_REFERENCE_ATTEMPTS = 5


class CaseError(ValueError):
    """The change cannot be made; the message (German) says why. Nothing was saved."""


class StaleEdit(CaseError):
    """Someone saved the case after this form was opened."""


#: Also the answer for another centre's code: which codes exist elsewhere stays unsaid.
DISTRICT_NOT_OFFERED = _l(
    "Diesen Stadtteil oder Kreis bietet Ihre Beratungsstelle nicht an. Bitte wählen Sie einen aus der Liste."
)


class DistrictNotOffered(ValidationError):
    """The case names a district its centre does not offer for it. Nothing was saved.

    A field error, not a CaseError: shaped like the payload's own messages
    (``{"incident": {"district_code": [...]}}``), so the form puts it next to the field and
    the API answers it as any invalid field.
    """

    def __init__(self) -> None:
        super().__init__({"incident": {"district_code": [str(DISTRICT_NOT_OFFERED)]}})


@dataclass(frozen=True)
class Metadata:
    """The plaintext part of a case that a form sets."""

    status: str = "open"
    opened_on: date | None = None
    closed_on: date | None = None


@dataclass
class OpenedCase:
    """A case's content, decrypted for one request (never cached, never logged)."""

    case: Case
    payload: dict[str, Any] = field(repr=False)
    vault: vault.CaseVault = field(repr=False)


def _audit(
    event: AuditEvent,
    case: Case,
    actor: User,
    *,
    access: CaseAccess | None = None,
    **details: object,
) -> None:
    # The actor is named, not taken from the request: the same operation runs from the API,
    # the pages and the command line.
    audit_trail.record(
        event,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=case.id,
        centre_id=case.centre_id,
        purpose=access.purpose if access is not None else None,
        details=details or None,
    )


def _next_number(centre_id: int, year: int) -> int:
    # Drawn under the audit append lock, which the case's own entry takes in this
    # transaction anyway: a parallel creation waits here for the commit and then reads the
    # number taken, instead of drawing the same one and failing at the insert. (Drawing
    # first and retrying ran out of attempts with two server processes under load:
    # bench/load, 25 of 924 new cases refused.) The centre's row is key-share locked
    # before, as the case's foreign key would lock it at the insert: the order stays centre,
    # then audit log, as in a release approval (which locks the centre and then appends), so
    # the two cannot deadlock.
    db.session.execute(
        sa.select(Centre.id)
        .where(Centre.id == centre_id)
        .with_for_update(read=True, key_share=True)
    )
    audit.lock_appends(db.session)
    highest = db.session.scalar(
        sa.select(sa.func.max(Case.number)).where(Case.centre_id == centre_id, Case.year == year)
    )
    return (highest or 0) + 1


def _check_metadata(meta: Metadata, payload: Mapping[str, Any]) -> tuple[date, date | None]:
    today = clock.today()
    opened_on = meta.opened_on or today
    if meta.status not in ("open", "waiting", "closed"):
        raise CaseError(str(_l("Unbekannter Status.")))
    if opened_on > today:
        raise CaseError(str(_l("Das Datum des Erstkontakts liegt in der Zukunft.")))
    if meta.status != "closed":
        return opened_on, None
    gaps = payload_rules.closing_gaps(payload)
    if gaps:
        raise CaseError(" ".join(gaps))
    closed_on = meta.closed_on or today
    if closed_on < opened_on or closed_on > today:
        raise CaseError(str(_l("Das Abschlussdatum muss zwischen Erstkontakt und heute liegen.")))
    return opened_on, closed_on


def _seal_payload(case: Case, opened: vault.CaseVault, content: Mapping[str, Any]) -> None:
    case.payload = opened.seal_json("cases", "payload", case.id, payload_rules.to_storage(content))
    case.pseudonym_index = indexes.index_value(indexes.PSEUDONYM, content["client"]["pseudonym"])
    case.respondent_index = indexes.index_value(indexes.RESPONDENT, content["respondent"]["name"])


def create_case(actor: User, content: Mapping[str, Any], meta: Metadata = Metadata()) -> Case:
    """A new case of the actor's centre, assigned to the actor (committed)."""
    if not actor.can(Permission.CASE_WORK):
        raise CaseError(str(_l("Nur Beratende legen Fälle an.")))
    checked = payload_rules.load_payload(content)
    check_district(actor.centre_id, checked["incident"]["district_code"])
    opened_on, closed_on = _check_metadata(meta, checked)
    for attempt in range(_REFERENCE_ATTEMPTS):
        try:
            case = _insert_case(actor, checked, meta.status, opened_on, closed_on)
        except (IntegrityError, OperationalError):
            # Another case took the number (or SQLite's snapshot went stale): try the next.
            db.session.rollback()
            log.info("reference number taken, retrying (attempt %s)", attempt + 1)
            continue
        return case
    raise CaseError(str(_l("Das Aktenzeichen konnte nicht vergeben werden. Bitte noch einmal.")))


def _insert_case(
    actor: User, content: Mapping[str, Any], status: str, opened_on: date, closed_on: date | None
) -> Case:
    now = clock.now()
    case = Case(
        centre_id=actor.centre_id,
        year=opened_on.year,
        number=_next_number(actor.centre_id, opened_on.year),
        status=status,
        opened_on=opened_on,
        closed_on=closed_on,
        created_at=now,
        updated_at=now,
        created_by=actor.id,
        content_version=1,
        legal_hold=False,
        statistics_excluded=False,
    )
    db.session.add(case)
    db.session.flush()  # the id binds every ciphertext of the case
    opened = vault.create(case.id)
    _seal_payload(case, opened, content)
    statistics.record(case, content, opened)
    db.session.add(
        CaseMember(
            case_id=case.id, user_id=actor.id, kind="assigned", added_at=now, added_by=actor.id
        )
    )
    _audit(AuditEvent.CASE_RECORD_CREATE, case, actor, status=status)
    db.session.commit()
    log.info("case created: id=%s centre=%s", case.id, case.centre_id)
    return case


def open_sealed(access: CaseAccess) -> OpenedCase:
    """Decrypt a case's payload WITHOUT an audit entry: only for an operation that records
    its own single entry for the request (``open_case``, the Art. 15 export)."""
    case = access.case
    if not access.content:
        raise PermissionError("no content access to this case")  # a caller skipped its check
    opened = vault.open_vault(case.id)
    if case.payload is None:
        raise vault.CaseUnreadable
    stored = opened.open_json("cases", "payload", case.id, case.payload)
    try:
        content = payload_rules.from_storage(stored)
    except payload_rules.StoredContentInvalid as exc:
        log.error("the payload of case %s does not have its shape at %s", case.id, exc)
        raise vault.CaseUnreadable from None
    return OpenedCase(case, content, opened)


def open_case(access: CaseAccess) -> OpenedCase:
    """Decrypt a case's payload for the caller and audit the read (committed)."""
    opened = open_sealed(access)
    case = access.case
    audit_trail.record(
        AuditEvent.CASE_CONTENT_READ,
        actor=access.user,
        object_type=OBJECT_TYPE,
        object_id=case.id,
        centre_id=case.centre_id,
        purpose=access.purpose,
    )
    db.session.commit()
    return opened


def update_case(
    access: CaseAccess, content: Mapping[str, Any], meta: Metadata, *, based_on: int
) -> Case:
    """Replace the payload and metadata, unless someone saved in between (committed)."""
    case = access.case
    checked = payload_rules.load_payload(content)
    code = checked["incident"]["district_code"]
    check_district(case.centre_id, code, kept=kept_district(access, code))
    opened_on, closed_on = _check_metadata(meta, checked)
    opened = vault.open_vault(case.id)
    claimed = db.session.execute(
        sa.update(Case)
        .where(Case.id == case.id, Case.content_version == based_on)
        .values(content_version=based_on + 1, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        db.session.rollback()
        raise StaleEdit(
            str(
                _l(
                    "Die Akte wurde inzwischen von jemand anderem gespeichert. Ihre Eingaben "
                    "sind unten noch da; bitte laden Sie die Akte neu und übertragen Sie sie."
                )
            )
        )
    db.session.refresh(case)
    changed_status = case.status != meta.status
    case.status, case.opened_on, case.closed_on = meta.status, opened_on, closed_on
    _seal_payload(case, opened, checked)
    statistics.record(case, checked, opened)
    if changed_status:
        _audit(AuditEvent.CASE_RECORD_UPDATE, case, access.user, access=access, status=meta.status)
    else:
        _audit(AuditEvent.CASE_RECORD_UPDATE, case, access.user, access=access)
    db.session.commit()
    return case


# --- the district (``incident.district_code``) ------------------------------------------------
#
# The payload schema checks a code's shape only: it cannot know the centre. A case may name an
# active district of its centre, or keep the retired one it already names (kept, not chosen
# anew). Districts are never deleted, so a code once saved stays the centre's.


def kept_district(access: CaseAccess, code: str) -> str:
    """``code`` if it is a retired district of the case's centre that the case already names;
    "" otherwise.

    Only then is the stored payload decrypted, without an audit entry of its own: this is
    part of saving the case, and the save writes the request's entry (``case:record:update``).
    Nothing of what was decrypted is shown; the caller learns only whether the code is kept.
    """
    if not DISTRICT_CODE.fullmatch(code):
        return ""  # none chosen, or no code at all (the payload schema says so)
    district = get_district_by_code(access.case.centre_id, code)
    if district is None or district.is_active:
        return ""
    stored = open_sealed(access).payload["incident"].get("district_code", "")
    return code if stored == code else ""


def check_district(centre_id: int, code: str, *, kept: str = "") -> None:
    """Refuse a district code the centre does not offer for this case (DistrictNotOffered)."""
    if not code or (kept and code == kept):
        return
    district = get_district_by_code(centre_id, code) if DISTRICT_CODE.fullmatch(code) else None
    if district is None or not district.is_active:
        raise DistrictNotOffered


# --- team ---------------------------------------------------------------------------------


def colleagues(centre_id: int) -> list[User]:
    """Active users of the centre who may work on cases (candidates for assignment)."""
    users = db.session.scalars(
        sa.select(User)
        .where(User.centre_id == centre_id, User.is_active.is_(True))
        .order_by(User.display_name)
    ).all()
    return [user for user in users if user.can(Permission.CASE_WORK)]


#: A supervisor who also counsels would otherwise assign themself any case of the centre and
#: read it without break-glass (and without the DPO's review of it).
SELF_ASSIGNMENT_REFUSED = _l(
    "Sie können sich nicht selbst eintragen. Eine andere Leitung muss Ihnen die Akte zuweisen; "
    "im Notfall öffnen Sie sie mit dem Notfallzugriff."
)


def add_member(access: CaseAccess, user: User, kind: str) -> None:
    """Assign (supervisors) or share (supervisors and assigned counsellors) (committed).

    Nobody adds themself, unless they already work on the content as a member.
    """
    case = access.case
    if not access.may_manage_members or (
        kind == "assigned" and not access.user.can(Permission.CASE_ASSIGN)
    ):
        raise CaseError(str(_l("Sie dürfen die Zuständigkeit dieser Akte nicht ändern.")))
    if kind not in ("assigned", "shared"):
        raise CaseError(str(_l("Unbekannte Art der Zuständigkeit.")))
    if user.id == access.user.id and not access.may_add_self:
        raise CaseError(str(SELF_ASSIGNMENT_REFUSED))
    if user.centre_id != case.centre_id or not user.is_active or not user.can(Permission.CASE_WORK):
        raise CaseError(str(_l("Nur aktive Beratende dieser Stelle können zuständig sein.")))
    existing = next((m for m in case.members if m.user_id == user.id), None)
    if existing is not None:
        if existing.kind == kind:
            raise CaseError(str(_l("Diese Person ist bereits eingetragen.")))
        # Turning an assignment into a share changes the assignment: the same rules as removing.
        if not access.user.can(Permission.CASE_ASSIGN):
            raise CaseError(str(_l("Zuweisungen ändert die Leitung.")))
        if existing.kind == "assigned" and sum(m.kind == "assigned" for m in case.members) == 1:
            raise CaseError(str(_l("Eine Akte braucht mindestens eine zuständige Person.")))
        existing.kind = kind
    else:
        case.members.append(
            CaseMember(user_id=user.id, kind=kind, added_at=clock.now(), added_by=access.user.id)
        )
    _audit(AuditEvent.CASE_MEMBER_ADD, case, access.user, user_id=user.id, kind=kind)
    db.session.commit()


def remove_member(access: CaseAccess, user_id: int) -> None:
    case = access.case
    member = next((m for m in case.members if m.user_id == user_id), None)
    if member is None or not access.may_manage_members:
        raise CaseError(str(_l("Sie dürfen die Zuständigkeit dieser Akte nicht ändern.")))
    if member.kind == "assigned" and not access.user.can(Permission.CASE_ASSIGN):
        raise CaseError(str(_l("Zuweisungen ändert die Leitung.")))
    if member.kind == "assigned" and sum(m.kind == "assigned" for m in case.members) == 1:
        raise CaseError(str(_l("Eine Akte braucht mindestens eine zuständige Person.")))
    case.members.remove(member)
    _audit(AuditEvent.CASE_MEMBER_REMOVE, case, access.user, user_id=user_id, kind=member.kind)
    db.session.commit()


def set_legal_hold(access: CaseAccess, hold: bool) -> None:
    """Keep a case beyond its retention period (supervisors; committed)."""
    if not access.user.can(Permission.CASE_ASSIGN):
        raise CaseError(str(_l("Die Aufbewahrungssperre setzt die Leitung.")))
    access.case.legal_hold = hold
    _audit(AuditEvent.CASE_LEGAL_HOLD_SET, access.case, access.user, hold=hold)
    db.session.commit()
