"""The statistics store's boundaries (DESIGN.md §6): it has exactly the columns allowed — codes,
months, a district code, a keyed pseudonym and a respondent token, nothing a person wrote, no
exact date, no case id, no blind index — and the statistics, reports and campaigns packages
have no way to a case or to decryption.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import servicestelle
from servicestelle import models
from servicestelle.stats.models import StatsRecord

#: Every column the store may have, with its data classification. A new column fails the
#: tests below until it is added here — after asking whether it names, dates or describes a
#: person more closely than a count needs.
ALLOWED_COLUMNS = {
    "pseudonym": "pseudonym",
    "centre_id": "none",
    "catalogue_version": "none",
    "opened_month": "statistical",
    "closed_month": "statistical",
    "district": "statistical",
    "status": "statistical",
    "grounds": "statistical",
    "ground_subs": "statistical",
    "life_areas": "statistical",
    "life_area_subs": "statistical",
    "forms": "statistical",
    "level": "statistical",
    "agg_relevance": "statistical",
    "went_to_court": "statistical",
    "interventions": "statistical",
    "intervention_groups": "statistical",
    "outcomes": "statistical",
    "respondent_type": "statistical",
    "age_band": "statistical",
    "gender": "statistical",
    "requester_type": "statistical",
    "channel": "statistical",
    "referral_source": "statistical",
    "respondent_token": "pseudonym",
}
BINARY = {"pseudonym": 32, "respondent_token": 16}
MONTHS = {"opened_month", "closed_month"}


# --- the schema --------------------------------------------------------------------------------


def test_the_model_has_exactly_the_allowed_columns_with_their_classification():
    table = models.metadata.tables["stats_records"]
    assert table is StatsRecord.__table__

    found = {column.name: column.info.get("classification") for column in table.columns}

    assert found == ALLOWED_COLUMNS
    assert [column.name for column in table.primary_key] == ["pseudonym"]
    for name, length in BINARY.items():
        assert isinstance(table.c[name].type, sa.LargeBinary)
        assert table.c[name].type.length == length
    for name in MONTHS:  # 'YYYY-MM': no room for a day
        assert table.c[name].type.length == 7
    # Linked to its centre only: a foreign key to a case would be the case id.
    assert {fk.target_fullname for fk in table.foreign_keys} == {"centres.id"}


def test_the_migrated_database_has_exactly_the_allowed_columns(backend):
    engine = sa.create_engine(backend.owner_url)
    try:
        inspector = sa.inspect(engine)
        columns = {column["name"]: column for column in inspector.get_columns("stats_records")}
        foreign_keys = inspector.get_foreign_keys("stats_records")
        primary_key = inspector.get_pk_constraint("stats_records")["constrained_columns"]
        indexes = {tuple(index["column_names"]) for index in inspector.get_indexes("stats_records")}
    finally:
        engine.dispose()

    assert set(columns) == set(ALLOWED_COLUMNS)
    assert primary_key == ["pseudonym"]
    assert [fk["referred_table"] for fk in foreign_keys] == ["centres"]
    for name in BINARY:
        assert isinstance(columns[name]["type"], sa.LargeBinary), name
    for name in set(ALLOWED_COLUMNS) - set(BINARY) - {"centre_id", "catalogue_version"}:
        assert isinstance(columns[name]["type"], sa.String), name
    # Every release filters by centre and one of the two months.
    assert {("centre_id", "opened_month"), ("centre_id", "closed_month")} <= indexes


# --- imports -------------------------------------------------------------------------------

#: The packages that work on aggregates only (DESIGN.md §6, §7), the coordinator's among
#: them: reports, campaigns and the activity report read published releases, never a case.
GUARDED = (
    "servicestelle.stats",
    "servicestelle.reports",
    "servicestelle.campaigns",
    "servicestelle.activities",
    "servicestelle.coordinator",
)

#: What a guarded module may not import, directly or through another module of ours at module
#: level, and why.
FORBIDDEN = {
    "servicestelle.cases": "the case package: the cases' content, their vaults and every "
    "operation that opens them (the mapping to statistics lives on the case side)",
    "crypto": "the envelope (unseal, unwrap_key: opens content and data keys) and the keyring "
    "(every key-encryption key), which crypto/__init__ re-exports; the store's HMACs are "
    "hashlib's",
    "servicestelle.keyring_custody": "unlocks the keyring file and hands out its keys",
    "servicestelle.auth.sealing": "opens the sealed second-factor seeds",
}

ROOT = Path(servicestelle.__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _path_of(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(node: ast.stmt) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level(tree: ast.Module) -> Iterator[ast.AST]:
    """Statements run when the module is imported (not function bodies, not TYPE_CHECKING)."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or _is_type_checking(node):
            continue
        yield from ast.walk(node) if not hasattr(node, "body") else [node]
        for block in ("body", "orelse", "finalbody", "handlers"):
            pending.extend(getattr(node, block, []))


def imports_in(source: str, module: str, *, everywhere: bool = True) -> set[str]:
    """Every module name ``source`` (the text of ``module``) imports: plain, from-imports
    (``from servicestelle import cases`` names servicestelle.cases), relative ones, and
    importlib.import_module/__import__ with a literal name."""
    tree = ast.parse(source)
    is_package = module.endswith(".__init__")
    module = module.removesuffix(".__init__")
    package = module if is_package else module.rpartition(".")[0]
    nodes = ast.walk(tree) if everywhere else _top_level(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id == "__import__")
            )
        ):
            found.add(node.args[0].value)
    return found


def forbidden_among(names: set[str]) -> set[str]:
    return {
        name
        for name in names
        for banned in FORBIDDEN
        if name == banned or name.startswith(banned + ".")
    }


def _guarded_modules() -> list[tuple[str, Path]]:
    modules = []
    for package in GUARDED:
        directory = ROOT.joinpath(*package.split("."))
        for path in sorted(directory.rglob("*.py")) if directory.is_dir() else []:
            modules.append((_module_name(path), path))
    return modules


def _source_name(path: Path) -> str:
    name = _module_name(path)
    return name + ".__init__" if path.name == "__init__.py" else name


def _reached_through(start: set[str]) -> dict[str, str]:
    """Our own modules reachable from ``start`` by imports run at import time, each with the
    module that imports it (for the failure message)."""
    seen: dict[str, str] = {}
    pending = [(name, "") for name in sorted(start)]
    while pending:
        name, via = pending.pop()
        if name in seen or name.split(".")[0] not in {"servicestelle", "audit", "crypto"}:
            continue
        seen[name] = via
        # Importing a.b.c runs a/__init__ and a/b/__init__ first.
        parent = name.rpartition(".")[0]
        if parent:
            pending.append((parent, via))
        path = _path_of(name)
        if path is None or any(name.startswith(p) for p in GUARDED):
            continue
        for imported in imports_in(
            path.read_text(encoding="utf-8"), _source_name(path), everywhere=False
        ):
            pending.append((imported, name))
    return seen


def test_the_statistics_package_exists_and_is_checked():
    names = [name for name, _ in _guarded_modules()]

    assert "servicestelle.stats.store" in names
    assert "servicestelle.stats.models" in names


@pytest.mark.parametrize(("module", "path"), _guarded_modules(), ids=lambda value: str(value))
def test_no_guarded_module_imports_the_cases_or_decryption(module, path):
    direct = imports_in(path.read_text(encoding="utf-8"), _source_name(path))

    assert forbidden_among(direct) == set(), {
        name: FORBIDDEN[next(b for b in FORBIDDEN if name == b or name.startswith(b + "."))]
        for name in forbidden_among(direct)
    }
    # Nor through one of our modules that imports them when it is imported.
    reached = _reached_through({name for name in direct if not name.startswith(GUARDED)})
    indirect = forbidden_among(set(reached))
    assert indirect == set(), {name: f"imported by {reached[name]}" for name in indirect}


@pytest.mark.parametrize(
    "source",
    [
        "from servicestelle.cases import vault",
        "from servicestelle.cases.vault import open_vault",
        "import servicestelle.cases.operations",
        "from servicestelle import cases",
        "from ..cases import statistics",
        "import crypto.envelope",
        "from crypto import Keyring",
        "from crypto.keyring import Keyring",
        "from crypto.envelope import unwrap_key",
        "import importlib\nimportlib.import_module('servicestelle.cases.vault')",
        "__import__('crypto.envelope')",
        "def late():\n    from servicestelle.cases import vault",
        "from servicestelle import keyring_custody",
    ],
)
def test_the_check_catches_every_way_of_importing(source):
    found = imports_in(source, "servicestelle.stats.example")

    assert forbidden_among(found), source


@pytest.mark.parametrize(
    "source",
    [
        "import cryptography.hazmat.primitives.hashes",
        "from servicestelle import catalogue, services",
        "from servicestelle.stats.models import StatsRecord",
        "from . import models",
        "import hashlib, hmac",
    ],
)
def test_the_check_lets_the_allowed_imports_pass(source):
    assert forbidden_among(imports_in(source, "servicestelle.stats.example")) == set()


def test_the_indirect_check_follows_our_modules():
    # demo_cases imports the case package at module level: importing it is a way in.
    reached = _reached_through({"servicestelle.demo_cases"})

    assert "servicestelle.cases.operations" in forbidden_among(set(reached))
