"""Encrypted, signed backups of an instance: the file format, creating one, restoring one.

``format`` (the container: header, chunked AES-256-GCM, Ed25519 signature), ``payload`` (what
is inside), ``snapshot`` (a consistent copy of the running database), ``pgtools`` (pg_dump and
pg_restore), ``create`` and ``restore``. The commands are in servicestelle/cli_backup.py.
"""
