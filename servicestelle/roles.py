"""Roles and the separation-of-duties rules of DESIGN.md §1."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    ADMIN = "admin"
    COUNSELLOR = "counsellor"
    DPO = "dpo"
    SUPERVISOR = "supervisor"


ROLE_LABELS = {
    Role.ADMIN: _l("Administration (IT)"),
    Role.COUNSELLOR: _l("Beratung"),
    Role.DPO: _l("Datenschutzbeauftragte*r"),
    Role.SUPERVISOR: _l("Leitung"),
}

#: The role sets one person may hold. Counsellor + supervisor is common in small centres;
#: the DPO audits everyone and the admin holds the keys, so neither combines with anything.
ALLOWED_COMBINATIONS: frozenset[frozenset[Role]] = frozenset(
    {
        frozenset({Role.COUNSELLOR}),
        frozenset({Role.SUPERVISOR}),
        frozenset({Role.COUNSELLOR, Role.SUPERVISOR}),
        frozenset({Role.DPO}),
        frozenset({Role.ADMIN}),
    }
)


class RoleConflict(ValueError):
    """The requested role set breaks the separation of duties."""


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Role values to Role members; an unknown value raises RoleConflict."""
    roles = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            raise RoleConflict(str(_l("Unbekannte Rolle: %(role)s", role=value))) from None
    return frozenset(roles)


def check_separation(roles: Iterable[Role]) -> frozenset[Role]:
    """Return the role set if one person may hold it, else raise RoleConflict."""
    role_set = frozenset(roles)
    if not role_set:
        raise RoleConflict(str(_l("Ein Konto braucht mindestens eine Rolle.")))
    if role_set not in ALLOWED_COMBINATIONS:
        names = ", ".join(str(ROLE_LABELS[role]) for role in sorted(role_set))
        raise RoleConflict(
            str(
                _l(
                    "Diese Rollen dürfen nicht zusammen vergeben werden (%(roles)s): "
                    "Datenschutz und Administration sind weder miteinander noch mit der "
                    "Fallarbeit vereinbar.",
                    roles=names,
                )
            )
        )
    return role_set
