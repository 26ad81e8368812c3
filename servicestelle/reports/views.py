"""Pages under /berichte (being built: issue 6)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from servicestelle.permissions import Permission, require

bp = Blueprint("reports", __name__, url_prefix="/berichte")


@bp.get("")
@require(Permission.REPORTS_READ)
def index() -> ResponseReturnValue:
    return render_template("reports/index.html")
