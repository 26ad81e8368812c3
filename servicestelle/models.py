"""Every model module, imported once so that the metadata (and Alembic) sees all tables."""

from servicestelle.api.models import ApiToken
from servicestelle.auth.models import LoginThrottle, RecoveryCode, User, UserRole
from servicestelle.centres.models import Centre
from servicestelle.db import Base
from servicestelle.instance_state import InstanceFact
from servicestelle.sessions.models import UserSession

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "Centre",
    "InstanceFact",
    "LoginThrottle",
    "RecoveryCode",
    "User",
    "UserRole",
    "UserSession",
    "metadata",
]
