from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from servicestelle.auth.queries import unused_recovery_codes
from servicestelle.cases import queries as case_queries
from servicestelle.cases import views_display
from servicestelle.permissions import Permission, require

bp = Blueprint("dashboard", __name__)

#: Below this many recovery codes the start page suggests making new ones.
FEW_RECOVERY_CODES = 3


@bp.get("/")
@require(Permission.DASHBOARD_VIEW)
def index() -> ResponseReturnValue:
    """Start page: who is logged in, for which centre, and what needs attention."""
    recovery_left = len(unused_recovery_codes(current_user.id))
    # Due dates are plaintext metadata: listing them decrypts nothing and reads no content.
    deadlines = (
        case_queries.attention_deadlines(current_user)
        if current_user.can(Permission.CASE_LIST)
        else None
    )
    return render_template(
        "dashboard/index.html",
        recovery_left=recovery_left,
        few_recovery_codes=recovery_left <= FEW_RECOVERY_CODES,
        deadlines=deadlines,
        **views_display.helpers(),
    )
