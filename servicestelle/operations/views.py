"""The page "Betrieb und Sicherheit" (administrator; the DPO reads it to sign off).

Looking at it is not audited. It shows no personal data and no case content, only how the
instance is configured and when the log says checkpoints, verifications and backups
happened — facts the administrator set up and the DPO reads in the log anyway. An entry per
view would only add rows the DPO must wade through (and a reload loop would add many); what
matters is audited where it happens: every settings change at the next start
(system:settings:change), every refusal of this page to another role (access:request:deny).
"""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from servicestelle import clock, services
from servicestelle.dpo.presentation import iso_time, local_time
from servicestelle.operations import checks
from servicestelle.operations.findings import Status
from servicestelle.permissions import Permission, require

bp = Blueprint("operations", __name__, url_prefix="/betrieb")


@bp.get("")
@require(Permission.SYSTEM_READ)
def index() -> ResponseReturnValue:
    """Every security-relevant setting of the instance, with its status and what to do."""
    context = checks.Context(
        settings=services.settings(),
        now=clock.now(),
        is_https=request.is_secure,
        forwarded=any(name in request.headers for name in ("X-Forwarded-For", "X-Forwarded-Proto")),
    )
    sections = checks.collect(context)
    counts = Counter(finding.status for section in sections for finding in section.findings)
    return render_template(
        "operations/index.html",
        sections=sections,
        warnings=counts[Status.WARNING],
        notices=counts[Status.NOTICE],
        checked_at=local_time(context.now),
        checked_at_iso=iso_time(context.now),
        Status=Status,
    )
