"""The data protection officer's workspace: log search, reports, anomalies, Art. 30 record."""
