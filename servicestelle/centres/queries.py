from __future__ import annotations

from sqlalchemy import select

from servicestelle.centres.models import Centre
from servicestelle.extensions import db


def get_centre_by_code(code: str) -> Centre | None:
    return db.session.scalar(select(Centre).where(Centre.code == code.strip().upper()))


def list_centres() -> list[Centre]:
    return list(db.session.scalars(select(Centre).order_by(Centre.code)))
