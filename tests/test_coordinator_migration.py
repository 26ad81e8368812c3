"""Revision 0010 on a coordinator database that already holds an import: the region and the
key are copied from the centre, a withdrawn package stays beside its replacement, and the
way down drops what the old schema has no place for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from servicestelle import migrate

WHEN = datetime(2026, 4, 2, 9, 0)  # stored naive on SQLite, as UTCDateTime writes it


@pytest.fixture
def engine(backend) -> Iterator[sa.Engine]:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(backend.owner_url)
    yield engine
    engine.dispose()


def _when(engine: sa.Engine) -> datetime:
    return WHEN if engine.dialect.name == "sqlite" else WHEN.replace(tzinfo=UTC)


def _package(connection: sa.Connection, when: datetime, **extra: object) -> None:
    columns = {
        "centre_id": 1,
        "period": "2026-Q1",
        "catalogue_version": 1,
        "content": "{}",
        "content_hash": "0" * 64,
        "signature": b"\x00" * 64,
        "published_at": when,
        "imported_at": when,
        **extra,
    }
    table = sa.table("coordinator_packages", *(sa.column(name) for name in columns))
    connection.execute(table.insert().values(**columns))


def test_0010_copies_region_and_key_and_allows_a_replacement_beside_a_withdrawn_package(engine):
    when = _when(engine)
    migrate.downgrade(engine, "0009")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO coordinator_centres"
                " (id, code, name, region_code, region_name, public_key, registered_at)"
                " VALUES (1, 'TEST', 'Test', 'owl', 'OWL', :key, :when)"
            ),
            {"key": b"\x05" * 32, "when": when},
        )
        _package(connection, when)
    migrate.upgrade(engine, "0010")
    with engine.begin() as connection:
        row = connection.execute(
            sa.text("SELECT region_code, region_name, public_key FROM coordinator_packages")
        ).one()
        assert (row.region_code, row.region_name, bytes(row.public_key)) == (
            "owl",
            "OWL",
            b"\x05" * 32,
        )
    copied = {"region_code": "owl", "region_name": "OWL", "public_key": b"\x05" * 32}
    # A second counted package of the centre and period: refused by the index.
    with pytest.raises(IntegrityError), engine.begin() as connection:
        _package(connection, when, **copied)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE coordinator_packages SET withdrawn_at = :when, content = NULL"),
            {"when": when},
        )
        _package(connection, when, **copied)  # the replacement beside the withdrawn one
    migrate.downgrade(engine, "0009")
    with engine.begin() as connection:
        # The withdrawn row has no counts and no place in the old schema; the other stays.
        assert (
            connection.execute(sa.text("SELECT count(*) FROM coordinator_packages")).scalar_one()
            == 1
        )
    migrate.upgrade(engine)
