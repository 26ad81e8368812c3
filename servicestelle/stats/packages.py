"""Coordinator packages, the centre's side: draft → approve (four eyes) → export, encrypted.

As the German addiction-care statistics do: suppressed tables cannot be summed, so a centre
sends the statewide coordinator its *unsuppressed* aggregate counts, and the coordinator
applies disclosure control to the sums (coordinator/). A package is a ``Release`` of kind
"package": drafted and frozen like a release (content hash), approved by a second supervisor
with stats.operations.approve_release (signed with the centre's release key over
stats.package_format's own signed document), never shown to readers, never an earlier
release of the disclosure model, and exported only encrypted to the coordinator's public key
(``SERVICESTELLE_COORDINATOR_PUBLIC_KEY``). Every step is audited.
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from audit import AuditEvent
from servicestelle import clock, services
from servicestelle.audit_trail import record
from servicestelle.auth.models import User
from servicestelle.centres.models import Centre
from servicestelle.extensions import db
from servicestelle.stats import aggregate, package_crypto, package_format, signing
from servicestelle.stats import content as release_content
from servicestelle.stats.keys import layout
from servicestelle.stats.operations import (
    OBJECT_TYPE,
    ReleaseError,
    _check_supervisor,
    refuse_unfinished,
)
from servicestelle.stats.periods import Period
from servicestelle.stats.release_models import Release, ReleaseKind, ReleaseStatus
from servicestelle.stats.tables import CATALOGUE_VERSION, Dimensions

log = logging.getLogger(__name__)

#: What the stored "audit" of a package says: there was no disclosure control (nothing is
#: published), in the shape of a release's audit with no suppressed cell.
NO_DISCLOSURE_CONTROL = (
    "Paket für die Koordinierungsstelle: ungeschwärzte Zählungen, keine Geheimhaltung; "
    "es wird nie veröffentlicht und verlässt die Stelle nur verschlüsselt."
)


def _package_audit(k: int) -> str:
    return json.dumps(
        {
            "kind": ReleaseKind.PACKAGE.value,
            "disclosure_control": False,
            "public": False,
            "note": NO_DISCLOSURE_CONTROL,
            "passed": True,
            "reason": None,
            "primary": [],
            "forced": [],
            "complementary": [],
            "protects": {},
            "unprotectable": [],
            "audit": {"k": k, "passed": True, "cells": []},
        },
        sort_keys=True,
    )


def draft_package(actor: User, period: Period) -> Release:
    """Freeze a package draft: the centre's unsuppressed counts of every package table for
    the period (committed)."""
    _check_supervisor(actor)
    settings = services.settings()
    if settings.is_coordinator:
        raise ReleaseError(str(_l("Eine Koordinierungsstelle erstellt keine Pakete.")))
    # The coordinator takes one package per centre and period: an early one would freeze
    # figures that are still changing.
    refuse_unfinished(period)
    centre = db.session.get_one(Centre, actor.centre_id)
    dims = Dimensions()  # no district table in a package
    layouts = [layout(table, dims) for table in package_format.PACKAGE_TABLES]
    keys = list(dict.fromkeys(key for lay in layouts for key in lay.all_keys()))
    counted = aggregate.StoreCounts(centre.id, dims).figures(keys, [period])
    content = package_format.package_content(
        release_content.build(
            centre_code=centre.code,
            period=period,
            k=settings.statistics_k,
            layouts=layouts,
            values={key: counted[(key, period)] for key in keys},
            suppressed=(),
            dims=dims,
        )
    )
    package = Release(
        centre_id=centre.id,
        kind=ReleaseKind.PACKAGE.value,
        period=period.code,
        year=period.year,
        catalogue_version=CATALOGUE_VERSION,
        table_ids=",".join(table.id for table in package_format.PACKAGE_TABLES),
        k=settings.statistics_k,
        status=ReleaseStatus.DRAFT.value,
        content=signing.canonical(content).decode(),
        content_hash=signing.content_hash(content),
        audit=_package_audit(settings.statistics_k),
        audit_passed=True,
        drafted_by=actor.id,
        drafted_at=clock.now(),
    )
    db.session.add(package)
    db.session.flush()
    record(
        AuditEvent.STATS_PACKAGE_DRAFT,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=package.id,
        centre_id=package.centre_id,
        details={"period": period.code, "tables": len(layouts)},
    )
    db.session.commit()
    log.info("package drafted: id=%s period=%s", package.id, period.code)
    return package


def export_package(actor: User | None, package: Release) -> bytes:
    """The package file of an approved package, encrypted to the coordinator (audited,
    committed). ``actor`` None: the operator on the command line."""
    if package.kind != ReleaseKind.PACKAGE or package.status != ReleaseStatus.PUBLISHED:
        raise ReleaseError(str(_l("Nur ein freigegebenes Paket kann ausgegeben werden.")))
    recipient = services.settings().coordinator_public_key
    if recipient is None:
        raise ReleaseError(
            str(
                _l(
                    "Der öffentliche Schlüssel der Koordinierungsstelle ist nicht eingerichtet "
                    "(SERVICESTELLE_COORDINATOR_PUBLIC_KEY)."
                )
            )
        )
    centre = db.session.get_one(Centre, package.centre_id)
    plaintext = signing.canonical(package_format.document(package, centre.code))
    sealed = package_crypto.encrypt(plaintext, recipient)
    record(
        AuditEvent.STATS_PACKAGE_EXPORT,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=package.id,
        centre_id=package.centre_id,
        details={"period": package.period},
    )
    db.session.commit()
    log.info("package exported: id=%s period=%s", package.id, package.period)
    return (json.dumps(sealed, indent=2) + "\n").encode()


def packages_of(centre_id: int) -> list[Release]:
    """A centre's packages, newest period first."""
    return list(
        db.session.scalars(
            sa.select(Release)
            .where(Release.centre_id == centre_id, Release.kind == ReleaseKind.PACKAGE.value)
            .order_by(Release.year.desc(), Release.period.desc(), Release.id.desc())
        )
    )


def get_package(centre_id: int, package_id: int) -> Release | None:
    """A package of this centre, or None (another centre's, a release, or none)."""
    package = db.session.get(Release, package_id)
    if package is None or package.kind != ReleaseKind.PACKAGE or package.centre_id != centre_id:
        return None
    return package
