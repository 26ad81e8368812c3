"""Encrypted case records: models, sealing, access, operations and the counsellor's pages."""
