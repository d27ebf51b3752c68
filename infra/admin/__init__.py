"""`python -m infra.admin`: support's tools (promo codes, a user's record, manual changes, Stars refunds)."""
