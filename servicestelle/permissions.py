"""Permissions as an enum mapped to roles; every endpoint declares the one it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import TypeVar

from servicestelle.roles import Role


class Permission(StrEnum):
    """``resource:action``; keep the members alphabetical by value."""

    ACCOUNT_MANAGE = "account:manage"  # own password, second factor, recovery codes, API tokens
    ACTIVITIES_RECORD = "activities:record"  # activities beyond cases, the annual activity report
    AUDIT_READ = "audit:read"  # the DPO workspace: log search, reports, exports, Art. 30
    AUDIT_REVIEW = "audit:review"  # verify the chain now, mark break-glass accesses reviewed
    CAMPAIGNS_MANAGE = "campaigns:manage"  # suggestions, campaigns, their evidence and review
    CASE_ASSIGN = "case:assign"  # assign cases, see every case's metadata, set a legal hold
    CASE_BREAK_GLASS = "case:break_glass"  # open a case of the centre in an emergency, with reason
    CASE_LIST = "case:list"  # the case list and deadlines (what each may see decides access.py)
    CASE_WORK = "case:work"  # create cases; read and write the content of one's own cases
    DASHBOARD_VIEW = "dashboard:view"
    DISTRICTS_MANAGE = "districts:manage"  # the register of districts and their population figures
    REPORTS_READ = "reports:read"  # structural-discrimination reports (from published releases)
    REPORTS_REVIEW = "reports:review"  # accept or refuse vignettes, finalise a report
    REPORTS_WRITE = "reports:write"  # report drafts, vignettes (with consent), policy demands
    STATS_READ = "stats:read"  # published statistics releases and their exports
    STATS_RELEASE = "stats:release"  # draft, approve (four eyes), reject and revoke releases
    SYSTEM_READ = "system:read"  # the operations page: security-relevant settings, warnings
    USERS_MANAGE = "users:manage"
    USERS_READ = "users:read"


_EVERY_ROLE = frozenset({Permission.ACCOUNT_MANAGE, Permission.DASHBOARD_VIEW})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: _EVERY_ROLE
    | {Permission.SYSTEM_READ, Permission.USERS_MANAGE, Permission.USERS_READ},
    Role.COUNSELLOR: _EVERY_ROLE
    | {
        Permission.ACTIVITIES_RECORD,
        Permission.CAMPAIGNS_MANAGE,
        Permission.CASE_BREAK_GLASS,
        Permission.CASE_LIST,
        Permission.CASE_WORK,
        Permission.REPORTS_READ,
        Permission.REPORTS_WRITE,
        Permission.STATS_READ,
    },
    # The DPO reads the operations page to sign off on a deployment.
    Role.DPO: _EVERY_ROLE
    | {Permission.AUDIT_READ, Permission.AUDIT_REVIEW, Permission.SYSTEM_READ},
    # Supervisors assign and see metadata; content only with break-glass (DESIGN.md §1).
    Role.SUPERVISOR: _EVERY_ROLE
    | {
        Permission.ACTIVITIES_RECORD,
        Permission.CAMPAIGNS_MANAGE,
        Permission.CASE_ASSIGN,
        Permission.CASE_BREAK_GLASS,
        Permission.CASE_LIST,
        Permission.DISTRICTS_MANAGE,
        Permission.REPORTS_READ,
        Permission.REPORTS_REVIEW,
        Permission.REPORTS_WRITE,
        Permission.STATS_READ,
        Permission.STATS_RELEASE,
    },
}

#: Attribute on a view function naming its required permission (read by security.guard).
REQUIRED_PERMISSION_ATTR = "required_permission"

F = TypeVar("F", bound=Callable[..., object])


class UnknownPermission(LookupError):
    """A permission that is not a member of Permission was asked for."""


def as_permission(value: str) -> Permission:
    """The Permission for a value; anything else raises instead of silently denying."""
    if isinstance(value, Permission):
        return value
    try:
        return Permission(value)
    except ValueError:
        raise UnknownPermission(value) from None


def permissions_for(roles: Iterable[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def has_permission(roles: Iterable[Role], permission: str) -> bool:
    return as_permission(permission) in permissions_for(roles)


def require(permission: str) -> Callable[[F], F]:
    """Declare the permission a view needs; the guard enforces it before the view runs."""
    checked = as_permission(permission)

    def decorate(view: F) -> F:
        setattr(view, REQUIRED_PERMISSION_ATTR, checked)
        return view

    return decorate
