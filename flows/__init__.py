"""Prefect flows and the command line: wiring, retries, caching, progress. No domain logic."""
