"""Two instances for the coordinator tests: centres (the test's ``app``) and a coordinator with
a database of its own, and the steps between them: approved packages, their files, forged
files (re-signed, re-encrypted) and the coordination office's supervisors."""

from __future__ import annotations

import base64
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from flask import Flask

from servicestelle.auth.models import User
from servicestelle.extensions import db
from servicestelle.roles import Role
from servicestelle.stats import package_crypto, package_format, packages, signing
from servicestelle.stats.operations import approve_release
from servicestelle.stats.periods import Period
from tests import conftest
from tests.support import postgres

COORDINATION_OFFICE = "LKS"


def database_url(
    request: pytest.FixtureRequest, backend: conftest.Backend, tmp_path: Path
) -> Iterator[str]:
    """A second fresh, migrated database on the test's backend (the coordinator's)."""
    if backend.name == "sqlite":
        target = tmp_path / "coordinator.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    server: postgres.PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("postgres_template")
    name = f"c_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            sa.text(
                f'CREATE DATABASE "{name}" TEMPLATE "{template}" OWNER {conftest.PG_OWNER_ROLE}'
            )
        )
    yield conftest._pg_url(server, name, conftest.PG_APP_ROLE)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def user(user_id: int) -> User:
    found = db.session.get(User, user_id)
    assert found is not None
    return found


@dataclass(frozen=True)
class Office:
    """The coordination office on the coordinator: its centre row and two supervisors."""

    centre_id: int
    drafter: int
    approver: int
    counsellor: int


def office(app: Flask) -> Office:
    from servicestelle.auth.operations import create_user
    from servicestelle.centres.operations import create_centre

    with app.app_context():
        centre = create_centre(COORDINATION_OFFICE, "Landeskoordinierungsstelle")
        ids = []
        for name, role in (
            ("koord.a", Role.SUPERVISOR),
            ("koord.b", Role.SUPERVISOR),
            ("koord.c", Role.COUNSELLOR),
        ):
            created = create_user(
                centre=centre,
                username=name,
                display_name=name,
                password=conftest.DEFAULT_PASSWORD,
                roles=(role,),
                with_second_factor=False,
            )
            ids.append(created.user.id)
        return Office(centre.id, *ids)


def approved_package(app: Flask, drafter: int, approver: int, period: str = "2026-Q1") -> int:
    """A package drafted by one supervisor and approved by another; its id."""
    with app.app_context():
        package = packages.draft_package(user(drafter), Period.parse(period))
        approve_release(user(approver), package)
        return package.id


def package_file(app: Flask, package_id: int) -> bytes:
    from servicestelle.stats.release_models import Release

    with app.app_context():
        return packages.export_package(None, db.session.get_one(Release, package_id))


def open_file(coordinator: Flask, data: bytes) -> dict[str, Any]:
    """The plaintext document of a package file, opened with the coordinator's key."""
    from servicestelle.coordinator import keys

    with coordinator.app_context():
        plaintext = package_crypto.decrypt_file(data, keys.private_key())
    document: dict[str, Any] = json.loads(plaintext)
    return document


def seal(document: dict[str, Any], recipient: bytes) -> bytes:
    """A package file for ``document`` encrypted to ``recipient`` (no checks, any content)."""
    return json.dumps(package_crypto.encrypt(signing.canonical(document), recipient)).encode()


def coordinator_key(coordinator: Flask) -> bytes:
    from servicestelle.coordinator import keys

    with coordinator.app_context():
        return keys.public_key()


def signed_by(app: Flask, centre_code: str, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with a signature by ``centre_code``'s release key (and that key named)."""
    with app.app_context():
        signed = package_format.signed_document(
            centre_code=document["centre"],
            period=document["period"],
            catalogue_version=document["catalogue_version"],
            content_hash=document["content_sha256"],
            published_at=document["published_at"],
        )
        signature, public = signing.sign(centre_code, signed)
    return {
        **document,
        "signature": base64.b64encode(signature).decode(),
        "public_key": base64.b64encode(public).decode(),
    }


def stranger_key() -> bytes:
    """Another coordinator's public key."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
