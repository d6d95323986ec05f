"""File -> facts: PDF text layer, page classification, Annex 2 field extraction.

Nothing here touches the database or Prefect; every function takes bytes or facts and
returns facts, so the flows can cache and retry them freely.
"""
