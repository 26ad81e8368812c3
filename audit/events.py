"""The audit vocabulary: every action is ``source:subject:action``, one enum, one place.

New events are added here, never spelled inline by a caller; the DPO workspace offers this
list as its action filter, so a stray string would be an event nobody can find.
"""

from __future__ import annotations

from enum import StrEnum


class AuditEvent(StrEnum):
    """What happened. Values are stored and hashed; never rename one that has been written."""

    ACCESS_REQUEST_DENY = "access:request:deny"
    ACTIVITY_RECORD_CREATE = "activity:record:create"
    ACTIVITY_RECORD_DELETE = "activity:record:delete"
    #: Details name the changed fields, never their values.
    ACTIVITY_RECORD_UPDATE = "activity:record:update"
    #: The annual activity report downloaded as PDF or CSV (details: year, format, counts).
    ACTIVITY_REPORT_EXPORT = "activity:report:export"
    API_TOKEN_CREATE = "api:token:create"
    API_TOKEN_RENAME = "api:token:rename"
    API_TOKEN_REVOKE = "api:token:revoke"
    AUDIT_BREAK_GLASS_REVIEW = "audit:break_glass:review"
    AUDIT_CHAIN_VERIFY = "audit:chain:verify"
    AUDIT_CHECKPOINT_CREATE = "audit:checkpoint:create"
    AUDIT_CHECKPOINT_EXPORT = "audit:checkpoint:export"  # the DPO downloaded the newest one
    AUDIT_LOG_EXPORT = "audit:log:export"
    AUDIT_REPORT_ACCESS = "audit:report:access"
    AUDIT_REPORT_ACTIVITY = "audit:report:activity"
    AUTH_ACCOUNT_LOCK = "auth:account:lock"
    AUTH_LOGIN_FAILURE = "auth:login:failure"
    AUTH_LOGIN_SUCCESS = "auth:login:success"
    AUTH_LOGOUT = "auth:logout"
    AUTH_PASSWORD_CHANGE = "auth:password:change"
    AUTH_PASSWORD_RESET = "auth:password:reset"
    AUTH_REAUTH_SUCCESS = "auth:reauth:success"
    AUTH_RECOVERY_CODE_USE = "auth:recovery_code:use"
    AUTH_RECOVERY_CODES_REGENERATE = "auth:recovery_codes:regenerate"
    AUTH_SECOND_FACTOR_ENROL = "auth:second_factor:enrol"
    AUTH_SECOND_FACTOR_RESET = "auth:second_factor:reset"
    CAMPAIGN_ACTIVITY_ADD = "campaign:activity:add"
    CAMPAIGN_ACTIVITY_REMOVE = "campaign:activity:remove"
    #: The centre's campaigns and activities downloaded as iCalendar (details: counts).
    CAMPAIGN_CALENDAR_EXPORT = "campaign:calendar:export"
    #: A published figure linked as evidence (details: release id and figure key).
    CAMPAIGN_EVIDENCE_LINK = "campaign:evidence:link"
    CAMPAIGN_EVIDENCE_UNLINK = "campaign:evidence:unlink"
    CAMPAIGN_INDICATOR_ADD = "campaign:indicator:add"
    CAMPAIGN_INDICATOR_REMOVE = "campaign:indicator:remove"
    #: The team's outputs for the review (events held, people reached, a note).
    CAMPAIGN_OUTPUTS_RECORD = "campaign:outputs:record"
    CAMPAIGN_RECORD_CREATE = "campaign:record:create"
    #: Details name the changed fields, never their values.
    CAMPAIGN_RECORD_UPDATE = "campaign:record:update"
    CASE_BREAK_GLASS_OPEN = "case:break_glass:open"
    CASE_CONSENT_RECORD = "case:consent:record"
    CASE_CONSENT_WITHDRAW = "case:consent:withdraw"
    CASE_CONTACT_ADD = "case:contact:add"
    CASE_CONTENT_READ = "case:content:read"
    CASE_DEADLINE_ADD = "case:deadline:add"
    CASE_DEADLINE_DONE = "case:deadline:done"
    CASE_DOCUMENT_ADD = "case:document:add"
    CASE_INTERVENTION_ADD = "case:intervention:add"
    CASE_LEGAL_HOLD_SET = "case:legal_hold:set"
    CASE_MEMBER_ADD = "case:member:add"
    CASE_MEMBER_REMOVE = "case:member:remove"
    CASE_RECORD_CREATE = "case:record:create"
    CASE_RECORD_DELETE = "case:record:delete"
    CASE_RECORD_EXPORT = "case:record:export"
    CASE_RECORD_UPDATE = "case:record:update"
    #: An anonymised vignette proposed from a case: names the case, never the report or the
    #: vignette (so the log does not link the two).
    CASE_VIGNETTE_PROPOSE = "case:vignette:propose"
    #: A registered centre moved to another region or had its release key replaced
    #: (details name the changed fields, never a key).
    COORDINATOR_CENTRE_CHANGE = "coordinator:centre:change"
    #: A coordinator registered a centre's release public key (its packages verify with it).
    COORDINATOR_CENTRE_REGISTER = "coordinator:centre:register"
    #: A centre's package imported (or refused: outcome failure, details name the reason).
    COORDINATOR_PACKAGE_IMPORT = "coordinator:package:import"
    #: The counts of the packages of years before a limit deleted (retention); rows kept.
    COORDINATOR_PACKAGE_PURGE = "coordinator:package:purge"
    #: An imported package withdrawn so that the centre can send a corrected one (or refused).
    COORDINATOR_PACKAGE_WITHDRAW = "coordinator:package:withdraw"
    CRYPTO_KEK_RETIRE = "crypto:kek:retire"
    CRYPTO_KEK_ROTATE = "crypto:kek:rotate"
    ORG_CENTRE_CREATE = "org:centre:create"
    ORG_DISTRICT_CREATE = "org:district:create"
    ORG_DISTRICT_REACTIVATE = "org:district:reactivate"
    ORG_DISTRICT_RENAME = "org:district:rename"
    ORG_DISTRICT_RETIRE = "org:district:retire"
    #: A year's population figures imported (details: year, version, counts, file hashes).
    ORG_DISTRICT_PROFILE_IMPORT = "org:district_profile:import"
    REPORT_DEMAND_ADD = "report:demand:add"
    REPORT_DEMAND_DELETE = "report:demand:delete"
    REPORT_DEMAND_MOVE = "report:demand:move"
    REPORT_DEMAND_UPDATE = "report:demand:update"
    REPORT_RECORD_CREATE = "report:record:create"
    #: HTML is not recorded; PDF, CSV and ZIP downloads and API reads are (details: format).
    REPORT_RECORD_EXPORT = "report:record:export"
    REPORT_RECORD_FINALISE = "report:record:finalise"
    REPORT_VIGNETTE_ACCEPT = "report:vignette:accept"
    REPORT_VIGNETTE_REFUSE = "report:vignette:refuse"
    STATS_PACKAGE_APPROVE = "stats:package:approve"  # a second supervisor approved, signed
    STATS_PACKAGE_DRAFT = "stats:package:draft"  # unsuppressed counts for the coordinator, frozen
    STATS_PACKAGE_EXPORT = "stats:package:export"  # encrypted to the coordinator and handed out
    STATS_RELEASE_APPROVE = "stats:release:approve"  # a second supervisor published it, signed
    STATS_RELEASE_DRAFT = "stats:release:draft"  # counted, suppressed, audited and frozen
    STATS_RELEASE_EXPORT = "stats:release:export"  # JSON, CSV or DeZIM export downloaded
    STATS_RELEASE_REJECT = "stats:release:reject"
    STATS_RELEASE_REVOKE = "stats:release:revoke"
    #: `servicestelle stats rebuild` opened every case in scope to derive the statistics store
    #: anew: one entry for the run (counts only), written before the first case is opened.
    STATS_STORE_REBUILD = "stats:store:rebuild"
    SYSTEM_BACKUP_CREATE = "system:backup:create"  # an encrypted, signed backup was written
    SYSTEM_BACKUP_RESTORE = "system:backup:restore"  # recorded in the restored instance
    SYSTEM_SETTINGS_CHANGE = "system:settings:change"
    USER_ACCOUNT_CREATE = "user:account:create"
    USER_ACCOUNT_DISABLE = "user:account:disable"
    USER_ACCOUNT_ENABLE = "user:account:enable"
    USER_ROLES_CHANGE = "user:roles:change"

    @property
    def source(self) -> str:
        return self.value.split(":", 1)[0]

    @property
    def requires_purpose(self) -> bool:
        """Reads of case content must say why (GDPR Art. 5(1)(b), CJEU C-579/21)."""
        return self in PURPOSE_REQUIRED


#: Events that are a read of case content: each needs a purpose code. Opening a case by
#: break-glass reads it, and an Art. 15 export hands its content out.
PURPOSE_REQUIRED = frozenset(
    {AuditEvent.CASE_CONTENT_READ, AuditEvent.CASE_BREAK_GLASS_OPEN, AuditEvent.CASE_RECORD_EXPORT}
)


class Outcome(StrEnum):
    """How it ended: done, tried and failed (wrong password), or refused by authorisation."""

    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class Purpose(StrEnum):
    """Why case content was read; the fixed list a client is told about under Art. 15."""

    COUNSELLING = "counselling"
    SUPERVISION = "supervision"
    BREAK_GLASS = "break_glass"
    DPO_AUDIT = "dpo_audit"
    ART15_REQUEST = "art15_request"
    LEGAL_OBLIGATION = "legal_obligation"
