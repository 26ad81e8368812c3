"""Tamper-evident, append-only audit log (framework-free; arrives with the audit issue)."""
