from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped

from servicestelle.db import Base, classified, intpk, timestamp


class Centre(Base):
    __tablename__ = "centres"

    id: Mapped[intpk]
    #: Short code used on the command line and in reference numbers, e.g. "DO-NORD".
    code: Mapped[str] = classified("none", String(32), unique=True)
    #: Name of the counselling centre (an organisation, not a person).
    name: Mapped[str] = classified("none", String(200))
    created_at: Mapped[timestamp]
