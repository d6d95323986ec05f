"""The review database, the raw archive and everything reviewers read.

The pipeline writes what it received (``archive``), what it read and what it found (``store``)
into one relational database (``models``, migrated by Alembic through ``db``), so reviewers can
query it and so that corrected files are compared with the ones they replace. ``export_json``
and ``report_xlsx`` turn the database into the contract export and the exception report.
Nothing here knows about Prefect: flows call these functions.
"""
