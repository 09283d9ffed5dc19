"""Dagster assets and asset checks, with the plain logic they wrap (landing zone, ingestion plans)."""
