"""Pictures of paper: page images, OCR, seals and signatures.

Scans, photos and the scanned pages behind a native plan are rendered to page images here
(``images``), read by an OCR engine into the same words-with-boxes the text layer gives
(``engine``, ``tesseract``, ``ocr_page``), and looked at for seals and signatures. Everything
returns facts with how sure it is; deciding what they mean is left to the checks.
"""
