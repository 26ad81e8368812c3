"""Every model module, imported once so that the metadata (and Alembic) sees all tables."""

import audit
from servicestelle.activities.models import Activity
from servicestelle.api.models import ApiToken
from servicestelle.auth.models import LoginThrottle, RecoveryCode, User, UserRole
from servicestelle.campaigns.models import (
    Campaign,
    CampaignActivity,
    CampaignEvidence,
    CampaignIndicator,
)
from servicestelle.cases.models import (
    BreakGlassAccess,
    Case,
    CaseConsent,
    CaseContact,
    CaseDeadline,
    CaseDeletion,
    CaseDocument,
    CaseIntervention,
    CaseKey,
    CaseMember,
)
from servicestelle.centres.models import Centre, District
from servicestelle.centres.profile_models import DistrictFigure, DistrictProfile
from servicestelle.coordinator.models import ImportedPackage, RegisteredCentre
from servicestelle.db import Base
from servicestelle.instance_state import InstanceFact
from servicestelle.reports.models import PolicyDemand, Report, Vignette
from servicestelle.sessions.models import UserSession
from servicestelle.stats.models import StatsRecord
from servicestelle.stats.release_models import Release

metadata = Base.metadata

# The audit library defines its tables on its own metadata (it knows nothing of this app);
# copies here let Alembic and the column-classification test see them like any other table.
for _table in audit.metadata.sorted_tables:
    _table.to_metadata(metadata)

__all__ = [
    "Activity",
    "ApiToken",
    "BreakGlassAccess",
    "Campaign",
    "CampaignActivity",
    "CampaignEvidence",
    "CampaignIndicator",
    "Case",
    "CaseConsent",
    "CaseContact",
    "CaseDeadline",
    "CaseDeletion",
    "CaseDocument",
    "CaseIntervention",
    "CaseKey",
    "CaseMember",
    "Centre",
    "District",
    "DistrictFigure",
    "DistrictProfile",
    "ImportedPackage",
    "InstanceFact",
    "LoginThrottle",
    "PolicyDemand",
    "RecoveryCode",
    "RegisteredCentre",
    "Release",
    "Report",
    "StatsRecord",
    "User",
    "UserRole",
    "UserSession",
    "Vignette",
    "metadata",
]
