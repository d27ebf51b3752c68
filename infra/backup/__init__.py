"""Backups: PostgreSQL (pg_dump, custom format) and the three buckets, into a folder, with retention."""
