"""Betrieb und Sicherheit: the security-relevant configuration of the instance, judged.

A page for the administrator (who runs the instance) and the DPO (who signs off on it):
profile, transport, secrets and their files, the database and its protection of the log,
checkpoints, verification, backups, keys, versions — each with a status and what to do.
It reads only; it shows no secret value (no key, no passphrase, no database password).
"""
