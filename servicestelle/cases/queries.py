"""Lists and searches over case metadata — nothing here decrypts anything.

Searching by client pseudonym or respondent compares blind indexes: the result is a list of
*possible* matches (an index is deliberately shared by a few values, cases/indexes.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from servicestelle import clock
from servicestelle.auth.models import User
from servicestelle.cases import deadlines, indexes
from servicestelle.cases.access import content_visible, sees, visible_cases
from servicestelle.cases.models import Case, CaseDeadline, CaseMember
from servicestelle.extensions import db

PAGE_SIZE = 50
SEARCH_FIELDS = ("reference", "pseudonym", "respondent")

#: "2026-0042": a four-digit year and a number of up to six digits, ASCII only ("²".isdigit()
#: is true, int("²") fails; a longer number overflows the column): anything else finds nothing.
_REFERENCE = re.compile(r"([0-9]{4})-([0-9]{1,6})")


def parse_reference(text: str) -> tuple[int, int] | None:
    """(year, number) of a case reference such as "2026-0042", or None if it is none."""
    match = _REFERENCE.fullmatch(text.strip())
    return None if match is None else (int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None  # open / waiting / closed
    deadline: str | None = None  # overdue / due_soon
    assignee: str | None = None  # "me", "none" or a user id
    search_field: str | None = None
    search_text: str | None = None
    page: int = 1


@dataclass(frozen=True)
class DeadlineRow:
    case: Case
    deadline: CaseDeadline
    urgency: deadlines.Urgency


@dataclass(frozen=True)
class CaseRow:
    case: Case
    next_deadline: CaseDeadline | None
    urgency: deadlines.Urgency | None


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int


def _open_deadlines() -> sa.Select[int, date]:
    return (
        sa.select(CaseDeadline.case_id, sa.func.min(CaseDeadline.due_on).label("due_on"))
        .where(CaseDeadline.done_on.is_(None))
        .group_by(CaseDeadline.case_id)
    )


def _search_condition(field: str, text: str) -> sa.ColumnElement[bool] | None:
    text = text.strip()
    if not text:
        return None
    if field == "reference":
        reference = parse_reference(text)
        if reference is None:
            return sa.false()
        return sa.and_(Case.year == reference[0], Case.number == reference[1])
    index, column = {
        "pseudonym": (indexes.PSEUDONYM, Case.pseudonym_index),
        "respondent": (indexes.RESPONDENT, Case.respondent_index),
    }[field]
    value = indexes.index_value(index, text)
    return sa.false() if value is None else column == value


def list_cases(user: User, wanted: CaseFilter) -> CasePage:
    """A page of the cases the user may see, newest first, with each one's next deadline."""
    today = clock.today()
    # Who appears in which case is content: a supervisor's metadata view does not answer a
    # search by pseudonym or respondent, only the cases one works on do.
    by_content = (
        wanted.search_field in SEARCH_FIELDS
        and wanted.search_field != "reference"
        and bool(wanted.search_text)
    )
    query = content_visible(user) if by_content else visible_cases(user)
    if wanted.status in ("open", "waiting", "closed"):
        query = query.where(Case.status == wanted.status)
    if wanted.deadline in ("overdue", "due_soon"):
        # Joined only when filtered by: grouping every open deadline costs ms per request.
        due = _open_deadlines().subquery()
        query = query.join(due, due.c.case_id == Case.id)
        if wanted.deadline == "overdue":
            query = query.where(due.c.due_on < today)
        else:
            query = query.where(
                due.c.due_on >= today,
                due.c.due_on <= today + timedelta(days=deadlines.DUE_SOON_DAYS),
            )
    if wanted.assignee:
        query = query.where(_assignee_condition(user, wanted.assignee))
    if wanted.search_field in SEARCH_FIELDS and wanted.search_text:
        condition = _search_condition(wanted.search_field, wanted.search_text)
        if condition is not None:
            query = query.where(condition)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, wanted.page), pages)
    cases = db.session.scalars(
        query.order_by(Case.year.desc(), Case.number.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    next_by_case = _next_deadlines([case.id for case in cases])
    rows = []
    for case in cases:
        nxt = next_by_case.get(case.id)
        urgency = None if nxt is None else deadlines.urgency(nxt.due_on, today)
        rows.append(CaseRow(case, nxt, urgency))
    return CasePage(rows, total, page, pages)


def _assignee_condition(user: User, assignee: str) -> sa.ColumnElement[bool]:
    assigned = sa.select(CaseMember.case_id).where(CaseMember.kind == "assigned")
    if assignee == "me":
        return Case.id.in_(sa.select(CaseMember.case_id).where(CaseMember.user_id == user.id))
    if assignee == "none":
        return Case.id.not_in(assigned)
    if assignee.isascii() and assignee.isdigit() and len(assignee) <= 9:
        return Case.id.in_(assigned.where(CaseMember.user_id == int(assignee)))
    return sa.true()


def _next_deadlines(case_ids: list[int]) -> dict[int, CaseDeadline]:
    if not case_ids:
        return {}
    rows = db.session.scalars(
        sa.select(CaseDeadline)
        .where(CaseDeadline.case_id.in_(case_ids), CaseDeadline.done_on.is_(None))
        .order_by(CaseDeadline.due_on)
    ).all()
    first: dict[int, CaseDeadline] = {}
    for row in rows:
        first.setdefault(row.case_id, row)
    return first


def attention_deadlines(user: User, *, limit: int = 50) -> list[DeadlineRow]:
    """Open deadlines of visible cases that are overdue or due within 14 days, soonest first.

    For a counsellor these are the cases they work on; for a supervisor every case of the
    centre (due dates are metadata).
    """
    today = clock.today()
    horizon = today + timedelta(days=deadlines.DUE_SOON_DAYS)
    rows = db.session.execute(
        sa.select(CaseDeadline, Case)
        .join(Case, Case.id == CaseDeadline.case_id)
        .where(
            sees(user),
            CaseDeadline.done_on.is_(None),
            CaseDeadline.due_on <= horizon,
        )
        .order_by(CaseDeadline.due_on, Case.id)
        .limit(limit)
    ).all()
    return [
        DeadlineRow(case, deadline, deadlines.urgency(deadline.due_on, today))
        for deadline, case in rows
    ]
