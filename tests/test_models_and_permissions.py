"""Data classification of every column; permissions and separation of duties."""

from __future__ import annotations

import pytest

from servicestelle import models
from servicestelle.db import CLASSIFICATIONS
from servicestelle.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    UnknownPermission,
    as_permission,
    has_permission,
    require,
)
from servicestelle.roles import (
    ALLOWED_COMBINATIONS,
    Role,
    RoleConflict,
    check_separation,
    parse_roles,
)


def test_every_column_is_classified():
    unclassified = [
        f"{table.name}.{column.name}"
        for table in models.metadata.sorted_tables
        for column in table.columns
        if column.info.get("classification") not in CLASSIFICATIONS
    ]
    assert unclassified == []


def test_credentials_are_classified_secret():
    secret = {
        f"{table.name}.{column.name}"
        for table in models.metadata.sorted_tables
        for column in table.columns
        if column.info["classification"] == "secret"
    }
    assert {
        "users.password_hash",
        "users.totp_secret_sealed",
        "api_tokens.token_hash",
        "user_sessions.token_hash",
        "recovery_codes.code_hash",
    } <= secret


def test_permission_values_are_alphabetical_resource_action():
    values = [permission.value for permission in Permission]
    assert values == sorted(values)
    assert all(value.count(":") == 1 for value in values)


def test_unknown_permission_raises():
    with pytest.raises(UnknownPermission):
        as_permission("cases:delete_everything")
    with pytest.raises(UnknownPermission):
        has_permission({Role.ADMIN}, "nope")
    with pytest.raises(UnknownPermission):
        require("users:mange")  # a typo must fail at import, not deny silently at run time


def test_every_role_has_a_permission_set():
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_only_admin_manages_users():
    holders = {
        role for role, granted in ROLE_PERMISSIONS.items() if Permission.USERS_MANAGE in granted
    }
    assert holders == {Role.ADMIN}


@pytest.mark.parametrize(
    "roles",
    [
        {Role.COUNSELLOR},
        {Role.SUPERVISOR},
        {Role.COUNSELLOR, Role.SUPERVISOR},
        {Role.DPO},
        {Role.ADMIN},
    ],
)
def test_allowed_role_sets(roles):
    assert check_separation(roles) == frozenset(roles)


@pytest.mark.parametrize(
    "roles",
    [
        set(),
        {Role.DPO, Role.ADMIN},
        {Role.DPO, Role.COUNSELLOR},
        {Role.DPO, Role.SUPERVISOR},
        {Role.ADMIN, Role.COUNSELLOR},
        {Role.ADMIN, Role.SUPERVISOR},
        set(Role),
    ],
)
def test_forbidden_role_sets(roles):
    with pytest.raises(RoleConflict):
        check_separation(roles)


def test_no_allowed_combination_mixes_dpo_or_admin_with_anything():
    for combination in ALLOWED_COMBINATIONS:
        if Role.DPO in combination or Role.ADMIN in combination:
            assert len(combination) == 1


def test_parse_roles_refuses_unknown_values():
    assert parse_roles(["counsellor", "supervisor"]) == {Role.COUNSELLOR, Role.SUPERVISOR}
    with pytest.raises(RoleConflict):
        parse_roles(["root"])
