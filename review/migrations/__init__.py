"""Alembic migrations of the review database (run through ``review.db.migrate``)."""
