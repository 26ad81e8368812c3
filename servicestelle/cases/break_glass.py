"""Break-glass: open a case one is not assigned to, in an emergency, with a written reason.

A counsellor is ill and the client calls with a deadline tomorrow: a colleague or the
supervisor opens the case for a limited time (setting ``break_glass_minutes``). The opening
is audited as ``case:break_glass:open`` with purpose ``break_glass`` — it lands in the DPO's
review queue — and every read during the window carries the same purpose. The assigned
counsellors see the opening on the case.

The reason is sealed under the keyring's "oversight" key, bound to its row: the DPO reads it
when reviewing without holding any case key; a database reader does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from audit import AuditEvent, Purpose
from crypto import Binding, DecryptionError
from crypto.envelope import seal, unseal
from servicestelle import audit_trail, clock, services
from servicestelle.auth.models import User
from servicestelle.auth.queries import users_by_id
from servicestelle.cases.access import OBJECT_TYPE, Reach, reach_of
from servicestelle.cases.models import BreakGlassAccess, Case
from servicestelle.cases.operations import CaseError
from servicestelle.cases.queries import parse_reference
from servicestelle.extensions import db
from servicestelle.permissions import Permission

OVERSIGHT_KEY = "oversight"
#: A reason must say something: "Notfall" alone tells the DPO nothing.
MIN_REASON_CHARACTERS = 15
MAX_REASON_CHARACTERS = 1000
#: Key id written into reason ciphertexts: the named oversight key, not a versioned KEK.
_OVERSIGHT_KEY_ID = 0


def _binding(grant_id: int) -> Binding:
    return Binding("case_break_glass", "reason", str(grant_id))


def find_case_by_reference(user: User, reference: str) -> Case | None:
    """A case of the user's centre by its reference ("2026-0042"), or None."""
    parsed = parse_reference(reference)
    if parsed is None:
        return None
    year, number = parsed
    return db.session.scalars(
        sa.select(Case).where(
            Case.centre_id == user.centre_id, Case.year == year, Case.number == number
        )
    ).first()


def open_case(user: User, case: Case, reason: str) -> BreakGlassAccess:
    """Grant ``user`` access to ``case`` for the configured time (committed)."""
    reason = reason.strip()
    if not user.can(Permission.CASE_BREAK_GLASS) or case.centre_id != user.centre_id:
        raise CaseError(str(_l("Sie dürfen diese Akte nicht im Notfall öffnen.")))
    if len(reason) < MIN_REASON_CHARACTERS:
        raise CaseError(
            str(
                _l(
                    "Bitte begründen Sie den Notfallzugriff in mindestens %(n)s Zeichen.",
                    n=MIN_REASON_CHARACTERS,
                )
            )
        )
    if len(reason) > MAX_REASON_CHARACTERS:
        raise CaseError(str(_l("Die Begründung ist zu lang (höchstens 1000 Zeichen).")))
    if reach_of(user, case).reach in (Reach.CONTENT, Reach.BREAK_GLASS):
        raise CaseError(str(_l("Sie haben bereits Zugriff auf diese Akte.")))
    now = clock.now()
    grant = BreakGlassAccess(
        case_id=case.id,
        user_id=user.id,
        opened_at=now,
        expires_at=now + timedelta(minutes=services.settings().break_glass_minutes),
        reason=b"",
    )
    db.session.add(grant)
    db.session.flush()
    grant.reason = seal(
        services.keyring().named_key(OVERSIGHT_KEY),
        _OVERSIGHT_KEY_ID,
        reason.encode("utf-8"),
        _binding(grant.id),
    )
    audit_trail.record(
        AuditEvent.CASE_BREAK_GLASS_OPEN,
        actor=user,
        object_type=OBJECT_TYPE,
        object_id=case.id,
        centre_id=case.centre_id,
        purpose=Purpose.BREAK_GLASS,
        details={"grant": grant.id, "minutes": services.settings().break_glass_minutes},
    )
    db.session.commit()
    return grant


def grant_by_id(grant_id: int) -> BreakGlassAccess | None:
    return db.session.get(BreakGlassAccess, grant_id)


def reason_of(grant: BreakGlassAccess) -> str | None:
    """The written reason, or None when it does not open (logged by the caller's page)."""
    try:
        return unseal(
            services.keyring().named_key(OVERSIGHT_KEY), grant.reason, _binding(grant.id)
        ).decode("utf-8")
    except DecryptionError:
        return None


@dataclass(frozen=True)
class Opening:
    """A break-glass opening as the case page shows it to the assigned counsellors."""

    user: User | None
    opened_at: datetime
    expires_at: datetime
    reason: str | None


def openings_of(case: Case) -> list[Opening]:
    grants = db.session.scalars(
        sa.select(BreakGlassAccess)
        .where(BreakGlassAccess.case_id == case.id)
        .order_by(BreakGlassAccess.opened_at.desc())
    ).all()
    users = users_by_id(g.user_id for g in grants)
    return [Opening(users.get(g.user_id), g.opened_at, g.expires_at, reason_of(g)) for g in grants]
