"""Pydantic models shared by every part of pilot-intake.

The names here are the canonical ones of design.md section 3 and the export contract of
section 5: the database, the JSON export and the tests all speak them, so they change only
with the design document.
"""
