"""Pages under /kampagnen (being built: issue 6)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from servicestelle.permissions import Permission, require

bp = Blueprint("campaigns", __name__, url_prefix="/kampagnen")


@bp.get("")
@require(Permission.CAMPAIGNS_MANAGE)
def index() -> ResponseReturnValue:
    return render_template("campaigns/index.html")
