"""Speed and accuracy measurements, printed as tables (never asserted)."""
