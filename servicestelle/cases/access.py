"""Who may see what of a case — the one place that decides it.

- Counsellors read and write the content of the cases they are assigned to or that were
  shared with them.
- Supervisors see the plaintext metadata of every case of their centre (reference, status,
  dates, assignment, deadlines' due dates) and assign cases; content only by break-glass.
- Break-glass: any counsellor or supervisor of the centre may open a case with a written
  reason for a limited time; every read then carries the purpose ``break_glass``.
- DPO and admin never reach a case (their roles lack every case permission).

Everything else is "no such case": 404, audited as a denial (security.deny_out_of_scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import sqlalchemy as sa

from audit import Purpose
from servicestelle import clock
from servicestelle.auth.models import User
from servicestelle.cases.models import BreakGlassAccess, Case, CaseMember
from servicestelle.extensions import db
from servicestelle.permissions import Permission
from servicestelle.security import deny_out_of_scope

OBJECT_TYPE = "case"


class Reach(Enum):
    CONTENT = "content"  # assigned or shared: read and write the content
    BREAK_GLASS = "break_glass"  # an active emergency opening: read and write, audited as such
    METADATA = "metadata"  # a supervisor of the centre: the plaintext metadata only
    NONE = "none"


@dataclass(frozen=True)
class CaseAccess:
    """A loaded case and how far the current user reaches into it."""

    case: Case
    user: User
    reach: Reach
    grant: BreakGlassAccess | None = None

    @property
    def content(self) -> bool:
        return self.reach in (Reach.CONTENT, Reach.BREAK_GLASS)

    @property
    def purpose(self) -> Purpose:
        """Why content is read: counselling, or an emergency opening."""
        return Purpose.BREAK_GLASS if self.reach is Reach.BREAK_GLASS else Purpose.COUNSELLING

    @property
    def member(self) -> CaseMember | None:
        return next((m for m in self.case.members if m.user_id == self.user.id), None)

    @property
    def is_assigned(self) -> bool:
        """Assigned to the case and reaching it as such (not shared, not by break-glass)."""
        member = self.member
        return self.reach is Reach.CONTENT and member is not None and member.kind == "assigned"

    @property
    def may_add_self(self) -> bool:
        """Whether the user may put themself on the team: only who already works on the
        content as a member (a shared supervisor taking the assignment). Anyone else — a
        supervisor who also counsels, above all — would read the content without break-glass."""
        return self.reach is Reach.CONTENT

    @property
    def may_export(self) -> bool:
        """The Art. 15 export: the assigned counsellors only, who answer for the file. A
        share or an emergency opening is for working on the case, not for handing it out."""
        return self.is_assigned

    @property
    def may_manage_members(self) -> bool:
        """Supervisors assign; an assigned counsellor shares with colleagues."""
        return self.user.can(Permission.CASE_ASSIGN) or self.is_assigned


def active_grant(user: User, case_id: int, now: datetime) -> BreakGlassAccess | None:
    return db.session.scalars(
        sa.select(BreakGlassAccess)
        .where(
            BreakGlassAccess.case_id == case_id,
            BreakGlassAccess.user_id == user.id,
            BreakGlassAccess.expires_at > now,
        )
        .order_by(BreakGlassAccess.expires_at.desc())
        .limit(1)
    ).first()


def reach_of(user: User, case: Case) -> CaseAccess:
    """How far ``user`` reaches into ``case`` right now (no side effects)."""
    if case.centre_id != user.centre_id or not user.is_active:
        return CaseAccess(case, user, Reach.NONE)
    if user.can(Permission.CASE_WORK) and any(m.user_id == user.id for m in case.members):
        return CaseAccess(case, user, Reach.CONTENT)
    if user.can(Permission.CASE_BREAK_GLASS):
        grant = active_grant(user, case.id, clock.now())
        if grant is not None:
            return CaseAccess(case, user, Reach.BREAK_GLASS, grant)
    if user.can(Permission.CASE_ASSIGN):
        return CaseAccess(case, user, Reach.METADATA)
    return CaseAccess(case, user, Reach.NONE)


def load(case_id: int, user: User, *, content: bool = False) -> CaseAccess:
    """The case if the user reaches it (its content, with ``content``); else 404, audited."""
    case = db.session.get(Case, case_id)
    if case is None:
        from flask import abort

        abort(404)
    access = reach_of(user, case)
    if access.reach is Reach.NONE or (content and not access.content):
        deny_out_of_scope(OBJECT_TYPE, case.id, centre_id=case.centre_id)
    return access


def reaches_content(user: User) -> sa.ColumnElement[bool]:
    """Condition on ``Case``: a case whose content the user reaches (assigned, shared,
    break-glass). Centre-bound only together with ``Case.centre_id`` (``content_visible``).

    One IN over a UNION of the two small id sets, not two INs joined by OR, and not nested
    in another ``IN (SELECT cases.id …)``: with OR neither database uses an index, and nested
    PostgreSQL read every case of the centre to join them (13 ms, then 39 ms for a
    counsellor with 2,500 cases; bench/case_pages.py, bench/load).
    """
    if not (user.can(Permission.CASE_WORK) or user.can(Permission.CASE_BREAK_GLASS)):
        return sa.false()
    member = sa.select(CaseMember.case_id).where(CaseMember.user_id == user.id)
    grant = sa.select(BreakGlassAccess.case_id).where(
        BreakGlassAccess.user_id == user.id, BreakGlassAccess.expires_at > clock.now()
    )
    if not user.can(Permission.CASE_WORK):
        member = member.where(sa.false())
    return Case.id.in_(sa.union(member, grant))


def sees(user: User) -> sa.ColumnElement[bool]:
    """Condition on ``Case``: a case the user may find in lists and searches (metadata)."""
    in_centre = Case.centre_id == user.centre_id
    if user.can(Permission.CASE_ASSIGN):
        return in_centre
    return sa.and_(in_centre, reaches_content(user))


def content_visible(user: User) -> sa.Select[Case]:
    """The cases of the user's centre whose content they reach."""
    return sa.select(Case).where(Case.centre_id == user.centre_id, reaches_content(user))


def visible_cases(user: User) -> sa.Select[Case]:
    """The cases a user may find in lists and searches (metadata only)."""
    return sa.select(Case).where(sees(user))
