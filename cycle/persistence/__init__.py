"""Persistence: tables, engine and migrations, the unit of work, the audit log, evidence files."""
