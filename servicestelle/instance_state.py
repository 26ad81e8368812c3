"""Small facts about this instance kept in the database (e.g. whether it is a demo)."""

from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped

from servicestelle.db import Base, classified
from servicestelle.extensions import db

DEMO_FLAG = "is_demo"


class InstanceFact(Base):
    __tablename__ = "instance_facts"

    key: Mapped[str] = classified("none", String(64), primary_key=True)
    value: Mapped[str] = classified("none", String(255))


def get_fact(key: str) -> str | None:
    row = db.session.scalar(select(InstanceFact).where(InstanceFact.key == key))
    return row.value if row else None


def set_fact(key: str, value: str) -> None:
    row = db.session.get(InstanceFact, key)
    if row is None:
        db.session.add(InstanceFact(key=key, value=value))
    else:
        row.value = value


def is_demo_instance() -> bool:
    return get_fact(DEMO_FLAG) == "yes"
