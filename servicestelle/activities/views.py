"""Pages under /aktivitaeten (being built: issue 6)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from servicestelle.permissions import Permission, require

bp = Blueprint("activities", __name__, url_prefix="/aktivitaeten")


@bp.get("")
@require(Permission.ACTIVITIES_RECORD)
def index() -> ResponseReturnValue:
    return render_template("activities/index.html")
