"""The restore drill, as an operator runs it after losing the server.

While cases are being created: the DPO exports a checkpoint and keeps the audit public key,
the operator takes a backup. A new instance gets nothing of the old one but the escrowed
keyring file and its passphrase (its secret key is new); the backup is checked against the
DPO's public key and restored. Then every case opens, the audit log verifies against the
checkpoint the DPO kept, and the statistics store holds exactly the rows of the restored
cases.
"""

from __future__ import annotations

import shutil

from audit import AuditEvent
from tests.support import backup as support


def test_restore_drill(request, tmp_path, backend):
    source = support.source_instance(tmp_path, backend.name, backend.url)
    first = support.create_cases(source, ["vor der Sicherung", "noch einer"])
    writer = support.Writer(source)
    writer.start()
    writer.wait_for(2)

    checkpoint = tmp_path / "dsb" / "checkpoint.json"
    public_key = tmp_path / "dsb" / "audit-public-key.pem"
    checkpoint.parent.mkdir()
    exported = support.invoke(["audit", "checkpoint", "--out", str(checkpoint)], source)
    assert exported.returncode == 0, exported.stderr
    public_key.write_text(support.invoke(["audit", "public-key"], source).stdout)
    backup = tmp_path / "offsite" / "sicherung.bak"
    backup.parent.mkdir()
    created = support.invoke(["backup", "create", str(backup)], source)
    writer.wait_for(len(writer.created) + 2)
    during = writer.stop()
    assert created.returncode == 0, created.stderr

    # The server is gone. Off site: the backup, the DPO's files, the escrowed keyring file
    # and its passphrase — a new secret key, nothing else of the old instance.
    checked = support.invoke(["backup", "verify", str(backup), "--public-key", str(public_key)], {})
    assert checked.returncode == 0, checked.stderr
    secrets = tmp_path / "new-secrets"
    secrets.mkdir(mode=0o700)
    shutil.copy2(source["SERVICESTELLE_KEYRING_PASSPHRASE_FILE"], secrets / "keyring-passphrase")
    target, pg = support.target_instance(
        tmp_path, backend.name, support.admin_url(request, backend.name), secrets
    )
    assert target["SERVICESTELLE_SECRET_KEY_FILE"] != source["SERVICESTELLE_SECRET_KEY_FILE"]
    restored = support.invoke(
        ["backup", "restore", str(backup), "--public-key", str(public_key)], target
    )
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "no --public-key given" not in restored.stderr  # pinned: no warning
    served = support.serve_restored(target, pg)

    texts = support.narratives(served)  # each opened through the case code
    ids = sorted(texts)
    taken = len(ids) - len(first)
    assert 2 <= taken < len(during)
    assert ids == sorted([*first, *during[:taken]])
    verified = support.invoke(
        ["audit", "verify", "--checkpoint", str(checkpoint), "--public-key", str(public_key)],
        served,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit log intact" in verified.stdout
    restored_stats = support.stats_rows(support.database_url(served))
    assert len(restored_stats) == len(ids)
    pseudonyms = {row[0] for row in restored_stats}
    assert restored_stats == [
        row for row in support.stats_rows(support.database_url(source)) if row[0] in pseudonyms
    ]
    (entry,) = support.actions(served, AuditEvent.SYSTEM_BACKUP_RESTORE.value)
    assert entry["sha256"] == support.sha256_of(backup)
    assert entry["cases"] == len(ids)
    assert entry["unreadable_keys"] == 0
