"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from sqlalchemy import DateTime, Integer, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, mapped_column

# Stable constraint names make migrations reproducible across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Data classification, required on every column (tests/test_models.py checks it):
#   "none"     — ids, flags, timestamps, codes: no personal data
#   "personal" — identifies or describes a person (usernames, names, client addresses)
#   "secret"   — credentials and key material; never leaves the database in clear
#   "sealed"   — AES-GCM ciphertext of case content (crypto/envelope.py); opens only with the
#                case's data key, bound to its table, column and row
#   "blind_index" — truncated keyed hash of a value (crypto/blind_index.py); ``info["of"]``
#                names the field it indexes, so a test can refuse one on a special category
#   "statistical" — a categorical code or a month in the statistics store (stats/models.py):
#                says nothing about a person on its own; only ever counted in aggregates
#   "pseudonym" — a keyed HMAC under the statistics key: links the rows of one case or of one
#                respondent without naming them; nothing links back without the key
CLASSIFICATIONS = frozenset(
    {"none", "personal", "secret", "sealed", "blind_index", "statistical", "pseudonym"}
)


def classified(kind: str, *args: Any, **kwargs: Any) -> Any:
    """mapped_column with its data classification recorded in Column.info."""
    if kind not in CLASSIFICATIONS:
        raise ValueError(f"unknown data classification {kind!r}")
    info = dict(kwargs.pop("info", {}))
    info["classification"] = kind
    return mapped_column(*args, info=info, **kwargs)


intpk = Annotated[int, mapped_column(Integer, primary_key=True, info={"classification": "none"})]
timestamp = Annotated[datetime, mapped_column(UTCDateTime(), info={"classification": "none"})]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), str: String()}
