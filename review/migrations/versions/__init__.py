"""Alembic revision files; one per schema change, never edited after release."""
