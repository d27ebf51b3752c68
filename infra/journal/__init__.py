"""`python -m infra.journal`: search, show, list and replay the webhook event journal."""
