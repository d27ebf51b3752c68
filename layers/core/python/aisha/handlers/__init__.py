"""Lambda handlers shared by the thin functions in functions/: each function names one of these."""
