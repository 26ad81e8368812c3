"""Migrations are code under test: head equals the models; every revision goes up and down."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from servicestelle import migrate, paths
from servicestelle.models import metadata

FILENAME = re.compile(r"^(?P<stamp>\d{8}_\d{4})_(?P<rev>[0-9A-Za-z]+)_(?P<slug>[a-z0-9_]+)\.py$")


@pytest.fixture
def engine(backend) -> Iterator[sa.Engine]:
    engine = sa.create_engine(backend.owner_url)
    yield engine
    engine.dispose()


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config())


def _revisions_base_to_head() -> list[str]:
    return [script.revision for script in reversed(list(_script().walk_revisions()))]


def _schema_differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def _leftovers(engine: sa.Engine) -> set[str]:
    """Every table, index, sequence or type the migrations could have left behind."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(
                sa.text("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
            )
        else:
            rows = connection.execute(
                sa.text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public'"
                    " UNION ALL SELECT t.typname FROM pg_type t"
                    " JOIN pg_namespace n ON n.oid = t.typnamespace"
                    " WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')"
                    " UNION ALL SELECT p.proname FROM pg_proc p"
                    " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
                )
            )
        # alembic's own table and its primary key (named alembic_version_pkc on PostgreSQL)
        return set(rows.scalars()) - {"alembic_version", "alembic_version_pkc"}


def test_there_is_exactly_one_head():
    assert len(_script().get_heads()) == 1
    assert _revisions_base_to_head()[-1] == migrate.head_revision()


def test_the_schema_at_head_equals_the_models(engine):
    assert migrate.current_revision(engine) == migrate.head_revision()

    assert _schema_differences(engine) == []


def test_the_comparison_notices_a_schema_that_drifted_from_the_models(engine):
    with engine.begin() as connection:
        connection.execute(sa.text("DROP INDEX ix_users_centre_id"))

    differences = _schema_differences(engine)

    assert [(kind, index.name) for kind, index in differences] == [
        ("add_index", "ix_users_centre_id")
    ]


def test_upgrading_a_database_at_head_changes_nothing(engine):
    migrate.upgrade(engine)

    assert migrate.is_up_to_date(engine)
    assert _schema_differences(engine) == []


def test_every_revision_goes_up_and_down_one_step_at_a_time(engine):
    assert {"users", "ix_users_centre_id"} <= _leftovers(engine)  # the check sees what exists
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert _leftovers(engine) == set()
    revisions = _revisions_base_to_head()

    for revision in revisions:
        migrate.upgrade(engine, "+1")
        assert migrate.current_revision(engine) == revision
    assert migrate.is_up_to_date(engine)
    assert _schema_differences(engine) == []

    for expected in [*reversed(revisions[:-1]), None]:
        migrate.downgrade(engine, "-1")
        assert migrate.current_revision(engine) == expected

    assert _leftovers(engine) == set()
    assert sa.inspect(engine).get_table_names() == ["alembic_version"]


def test_base_to_head_and_back_again_leaves_the_models_schema(engine):
    migrate.downgrade(engine, "base")
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    migrate.upgrade(engine)

    assert migrate.is_up_to_date(engine)
    assert _schema_differences(engine) == []


def test_an_empty_database_reports_no_revision_and_is_not_up_to_date(engine):
    migrate.downgrade(engine, "base")

    assert migrate.current_revision(engine) is None
    assert not migrate.is_up_to_date(engine)


# --- the revision files -----------------------------------------------------------------


def _revision_files() -> list[Path]:
    files = sorted((paths.migrations_dir() / "versions").glob("*.py"))
    assert files, "no revision files found"
    return files


def _is_empty_body(body: list[ast.stmt]) -> bool:
    statements = [
        node
        for node in body
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    ]  # a docstring or `...` alone does nothing either
    return all(isinstance(node, ast.Pass) for node in statements)


def _module_constant(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"no {name} in the revision file")


@pytest.mark.parametrize("path", _revision_files(), ids=lambda path: path.name)
def test_every_revision_file_is_named_by_date_revision_and_slug(path):
    match = FILENAME.match(path.name)

    assert match, f"{path.name} does not follow YYYYMMDD_HHMM_<rev>_<slug>.py"
    datetime.strptime(match["stamp"], "%Y%m%d_%H%M")  # a real date and time
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert match["rev"] == _module_constant(tree, "revision")


@pytest.mark.parametrize("path", _revision_files(), ids=lambda path: path.name)
def test_every_revision_file_can_be_undone(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}

    assert "upgrade" in functions
    assert "downgrade" in functions, f"{path.name} has no downgrade()"
    assert not _is_empty_body(functions["downgrade"].body), f"{path.name}: downgrade() only passes"


def test_every_revision_file_is_a_known_revision():
    known = set(_revisions_base_to_head())
    in_files = {
        _module_constant(ast.parse(path.read_text(encoding="utf-8")), "revision")
        for path in _revision_files()
    }

    assert in_files == known


def test_the_empty_body_check_recognises_a_do_nothing_downgrade():
    stub = ast.parse('def downgrade():\n    """Nothing."""\n    pass\n').body[0]
    real = ast.parse("def downgrade():\n    op.drop_table('x')\n").body[0]

    assert isinstance(stub, ast.FunctionDef)
    assert isinstance(real, ast.FunctionDef)
    assert _is_empty_body(stub.body)
    assert not _is_empty_body(real.body)
