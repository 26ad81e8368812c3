"""audit log: hash-chained entries, append lock, signed checkpoints; append-only in the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:46:13.345247
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

APPEND_ONLY = ('audit_entry', 'audit_checkpoint')

# SQLite has no privileges: the triggers are a tripwire against accidents and naive edits;
# the hash chain and the signed checkpoints are what detect a deliberate one.
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"""
    for table in APPEND_ONLY
    for verb in ('UPDATE', 'DELETE')
] + [
    # INSERT OR REPLACE deletes the old row without running DELETE triggers (unless
    # recursive_triggers is on): refuse an insert that would replace anything.
    f"""CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}
        WHEN EXISTS (SELECT 1 FROM {table} WHERE {clash})
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"""
    for table, clash in (
        ('audit_entry',
         'seq = NEW.seq OR prev_hash = NEW.prev_hash OR entry_hash = NEW.entry_hash'),
        ('audit_checkpoint', 'id = NEW.id'),
    )
]

GENESIS = '0' * 64

# Inserts, too, must continue the chain: the application's role may INSERT, and a row at an
# invented position (below 1, far above the head, beside the chain) would otherwise show in
# every report and could stop appends or the verifier. Checkpoints must name a real entry.
# SQLite compares the time CHECK as text; a well-formed but impossible date ('…-02-31')
# would pass it and stop every reader. The stored form is 'YYYY-MM-DD HH:MM:SS.ffffff'.
SQLITE_TIME_FORMAT = (
    "'[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9] "
    "[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]'"
)
SQLITE_TIME_GUARDS = [
    f"""CREATE TRIGGER {table}_{column}_is_a_time BEFORE INSERT ON {table}
        WHEN NEW.{column} NOT GLOB {SQLITE_TIME_FORMAT}
          OR date(substr(NEW.{column}, 1, 10), '+0 days') IS NOT substr(NEW.{column}, 1, 10)
          OR substr(NEW.{column}, 12, 2) > '23'
        BEGIN SELECT RAISE(ABORT, 'not a time'); END"""
    for table, column in (('audit_entry', 'ts'), ('audit_checkpoint', 'signed_at'))
]
SQLITE_INSERT_GUARDS = SQLITE_TIME_GUARDS + [
    f"""CREATE TRIGGER audit_entry_continues_chain BEFORE INSERT ON audit_entry
        WHEN NEW.seq IS NOT COALESCE((SELECT max(seq) FROM audit_entry), 0) + 1
          OR NEW.prev_hash IS NOT COALESCE(
              (SELECT entry_hash FROM audit_entry ORDER BY seq DESC LIMIT 1), '{GENESIS}')
        BEGIN SELECT RAISE(ABORT, 'an audit entry must continue the chain'); END""",
    f"""CREATE TRIGGER audit_checkpoint_names_an_entry BEFORE INSERT ON audit_checkpoint
        WHEN NOT ((NEW.seq = 0 AND NEW.head_hash = '{GENESIS}') OR EXISTS (
            SELECT 1 FROM audit_entry WHERE seq = NEW.seq AND entry_hash = NEW.head_hash))
        BEGIN SELECT RAISE(ABORT, 'a checkpoint must name an entry of the log'); END""",
]
POSTGRESQL_INSERT_GUARDS = [
    # search_path pinned: otherwise a temporary table called audit_entry (pg_temp is searched
    # first) would answer the trigger's question in place of the real one.
    f"""CREATE FUNCTION audit_entry_continues_chain() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    SELECT seq, entry_hash INTO last_seq, last_hash FROM audit_entry ORDER BY seq DESC LIMIT 1;
    IF NEW.seq IS DISTINCT FROM COALESCE(last_seq, 0) + 1
       OR NEW.prev_hash IS DISTINCT FROM COALESCE(last_hash, '{GENESIS}') THEN
        RAISE EXCEPTION 'an audit entry must continue the chain'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$""",
    f"""CREATE FUNCTION audit_checkpoint_names_an_entry() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT ((NEW.seq = 0 AND NEW.head_hash = '{GENESIS}') OR EXISTS (
            SELECT 1 FROM audit_entry WHERE seq = NEW.seq AND entry_hash = NEW.head_hash)) THEN
        RAISE EXCEPTION 'a checkpoint must name an entry of the log'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$""",
    """CREATE TRIGGER audit_entry_continues_chain BEFORE INSERT ON audit_entry
        FOR EACH ROW EXECUTE FUNCTION audit_entry_continues_chain()""",
    """CREATE TRIGGER audit_checkpoint_names_an_entry BEFORE INSERT ON audit_checkpoint
        FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_names_an_entry()""",
]

# PostgreSQL: row triggers for UPDATE/DELETE and a statement trigger for TRUNCATE (which
# skips row triggers). The application's role must not own these tables (an owner can
# disable triggers); the revoke below removes any UPDATE/DELETE/TRUNCATE it was granted.
POSTGRESQL_FUNCTION = """
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
POSTGRESQL_TRIGGERS = [
    statement
    for table in APPEND_ONLY
    for statement in (
        f"""CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
    )
]
POSTGRESQL_REVOKE = """
DO $$
DECLARE
    grantee_name text;
BEGIN
    REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES
        ON audit_entry, audit_checkpoint FROM PUBLIC;
    REVOKE INSERT, DELETE, TRUNCATE, TRIGGER, REFERENCES ON audit_append_lock FROM PUBLIC;
    FOR grantee_name IN
        SELECT DISTINCT r.rolname
        FROM pg_class c
        CROSS JOIN LATERAL aclexplode(c.relacl) AS acl
        JOIN pg_roles r ON r.oid = acl.grantee
        WHERE c.oid IN ('audit_entry'::regclass, 'audit_checkpoint'::regclass,
                        'audit_append_lock'::regclass)
          AND acl.grantee <> c.relowner
    LOOP
        EXECUTE format(
            'REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES '
            'ON audit_entry, audit_checkpoint FROM %I', grantee_name);
        -- The lock row is updated on every append; deleting or moving it would stop all of
        -- them: its counter may be updated, nothing else.
        EXECUTE format(
            'REVOKE INSERT, DELETE, TRUNCATE, TRIGGER, REFERENCES '
            'ON audit_append_lock FROM %I', grantee_name);
        IF has_table_privilege(grantee_name, 'audit_append_lock', 'UPDATE') THEN
            EXECUTE format('REVOKE UPDATE ON audit_append_lock FROM %I', grantee_name);
            EXECUTE format('GRANT UPDATE (appends) ON audit_append_lock TO %I', grantee_name);
        END IF;
        -- Checkpoint ids come from the sequence: a chosen id could pin an unsigned row as
        -- "the newest" for good.
        IF has_table_privilege(grantee_name, 'audit_checkpoint', 'INSERT') THEN
            EXECUTE format('REVOKE INSERT ON audit_checkpoint FROM %I', grantee_name);
            EXECUTE format(
                'GRANT INSERT (seq, head_hash, signed_at, key_id, signature) '
                'ON audit_checkpoint TO %I', grantee_name);
        END IF;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    op.create_table('audit_append_lock',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('appends', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_append_lock'))
    )
    op.create_table('audit_checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.CheckConstraint('seq >= 0', name=op.f('ck_audit_checkpoint_seq_not_negative')),
    sa.CheckConstraint("signed_at >= '2000-01-01' AND signed_at < '2200-01-01'", name=op.f('ck_audit_checkpoint_signed_at_in_range')),
    sa.CheckConstraint('length(head_hash) = 64', name=op.f('ck_audit_checkpoint_head_hash_is_sha256')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoint'))
    )
    with op.batch_alter_table('audit_checkpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_checkpoint_seq'), ['seq'], unique=False)

    op.create_table('audit_entry',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=64), nullable=True),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.String(length=128), nullable=True),
    sa.Column('purpose', sa.String(length=32), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_audit_entry_seq_positive')),
    sa.CheckConstraint("ts >= '2000-01-01' AND ts < '2200-01-01'", name=op.f('ck_audit_entry_ts_in_range')),
    sa.CheckConstraint('length(prev_hash) = 64 AND length(entry_hash) = 64', name=op.f('ck_audit_entry_hashes_are_sha256')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('entry_hash', name=op.f('uq_audit_entry_entry_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_entry_prev_hash'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index('ix_audit_entry_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_purpose'), ['purpose'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_ts'), ['ts'], unique=False)

    op.execute("INSERT INTO audit_append_lock (id, appends) VALUES (1, 0)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL_FUNCTION)
        for statement in POSTGRESQL_TRIGGERS + POSTGRESQL_INSERT_GUARDS:
            op.execute(statement)
        op.execute(POSTGRESQL_REVOKE)
    else:
        for statement in SQLITE_TRIGGERS + SQLITE_INSERT_GUARDS:
            op.execute(statement)


def downgrade() -> None:
    # Dropping a table drops its triggers; DROP TABLE runs no row or TRUNCATE trigger.
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_ts'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_purpose'))
        batch_op.drop_index('ix_audit_entry_object')
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_centre_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))

    op.drop_table('audit_entry')
    with op.batch_alter_table('audit_checkpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checkpoint_seq'))

    op.drop_table('audit_checkpoint')
    op.drop_table('audit_append_lock')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION audit_refuse_change()")
        op.execute("DROP FUNCTION audit_entry_continues_chain()")
        op.execute("DROP FUNCTION audit_checkpoint_names_an_entry()")
