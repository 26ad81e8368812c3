"""The workspace's writers: each records its audit event in the same transaction and commits.

Reading the log is itself recorded (reports, exports, verifications): who looked at whose
trail is as much a matter for the next DPO as who looked at a case.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import audit
from audit import AuditEvent, Entry, Outcome
from servicestelle import audit_trail, clock
from servicestelle.auth.models import User
from servicestelle.dpo import export, queries
from servicestelle.dpo.labels import problem_code
from servicestelle.extensions import db

log = logging.getLogger(__name__)

#: Larger selections must be narrowed (the file is built in memory).
EXPORT_LIMIT = 100_000


class ExportTooLarge(Exception):
    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.total = total


class NotBreakGlass(Exception):
    """The entry is no break-glass access (or was reviewed already)."""


def verify_chain(actor: User) -> audit.Verification:
    """Check every entry and checkpoint now and record the verdict."""
    result = audit.verify(db.session, audit_trail.public_key())
    audit_trail.record(
        AuditEvent.AUDIT_CHAIN_VERIFY,
        Outcome.SUCCESS if result.intact else Outcome.FAILURE,
        actor=actor,
        details={
            "entries": result.entries,
            "head_seq": result.head_seq,
            "problem": None if result.problem is None else problem_code(result.problem),
            "broken_seq": result.seq,
        },
    )
    db.session.commit()
    log.info("audit chain verified: intact=%s entries=%s", result.intact, result.entries)
    return result


def create_checkpoint(actor: User) -> audit.Checkpoint:
    """Sign the head of the chain now."""
    checkpoint = audit_trail.create_checkpoint(actor=actor)
    db.session.commit()
    log.info("audit checkpoint created on demand: seq=%s", checkpoint.seq)
    return checkpoint


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    count: int


def hand_out_checkpoint(actor: User, seq: int) -> None:
    """Record that the DPO took a signed checkpoint off the server (the operations page asks)."""
    audit_trail.record(AuditEvent.AUDIT_CHECKPOINT_EXPORT, actor=actor, details={"seq": seq})
    db.session.commit()


def export_log(actor: User, log_filter: queries.LogFilter, described: Mapping[str, str]) -> Export:
    """The selected entries as a ZIP with a fresh checkpoint signed after them.

    Every audited action waits for the append lock, so it is held only to record the export
    and sign the checkpoint: the rows are loaded before, the file is built after the commit.
    The audit entry names the filter fields used, never their values (a searched name is
    personal data); ``described`` (field → value) goes into the file only.
    """
    public_key = audit_trail.public_key()  # a missing key fails before anything is written
    statement = queries.search(actor.centre_id, log_filter)
    total = queries.count(statement)
    if total > EXPORT_LIMIT:
        raise ExportTooLarge(total)
    # Bounded again: rows added since the count must not grow the file past the limit.
    items = queries.entries(statement.limit(EXPORT_LIMIT + 1))
    if len(items) > EXPORT_LIMIT:
        raise ExportTooLarge(len(items))
    names = queries.usernames_for(actor.centre_id, items)
    actor_id = actor.id
    seqs = [entry.seq for entry in items]
    audit_trail.record(
        AuditEvent.AUDIT_LOG_EXPORT,
        actor=actor,
        details={
            "entries": len(items),
            "filters": log_filter.used_fields(),
            "first_seq": min(seqs, default=None),
            "last_seq": max(seqs, default=None),
        },
    )
    # Signed after the export's own entry, so the checkpoint's head lies beyond every exported
    # row and the export itself.
    checkpoint = audit_trail.create_checkpoint(actor=actor)
    now = clock.now()
    db.session.commit()
    content = export.build_zip(
        items,
        names,
        created=now,
        filters=described,
        checkpoint_json=audit.to_json(checkpoint, public_key),
        checkpoint_seq=checkpoint.seq,
        key_id=checkpoint.key_id,
        public_key_pem=audit.public_key_pem(public_key),
    )
    log.info("audit log exported: entries=%s user_id=%s", len(items), actor_id)
    filename = f"protokoll-{now.strftime('%Y%m%d-%H%M%S')}.zip"
    return Export(content, filename, len(items))


def record_access_report(
    actor: User, object_type: str, object_id: str, *, variant: str, entries: int
) -> None:
    """Note that the DPO produced an access report about an object (``full`` or ``art15``)."""
    audit_trail.record(
        AuditEvent.AUDIT_REPORT_ACCESS,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        details={"variant": variant, "entries": entries},
    )
    db.session.commit()


def record_activity_report(actor: User, subject: User, *, page: int, entries: int) -> None:
    """Note that the DPO looked at what one person did."""
    audit_trail.record(
        AuditEvent.AUDIT_REPORT_ACTIVITY,
        actor=actor,
        object_type="user",
        object_id=subject.id,
        details={"page": page, "entries": entries},
    )
    db.session.commit()


def mark_break_glass_reviewed(actor: User, entry: Entry, *, already_reviewed: bool) -> None:
    """Close a break-glass access in the review queue."""
    if entry.action != AuditEvent.CASE_BREAK_GLASS_OPEN.value or already_reviewed:
        raise NotBreakGlass(entry.seq)
    audit_trail.record(
        AuditEvent.AUDIT_BREAK_GLASS_REVIEW,
        actor=actor,
        object_type="audit_entry",
        object_id=entry.seq,
        details={"reviewed_seq": entry.seq},
    )
    db.session.commit()
    log.info("break-glass access reviewed: seq=%s user_id=%s", entry.seq, actor.id)
