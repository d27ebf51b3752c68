"""Domain services: each takes an open connection (one transaction) and applies the rules."""

from aisha.services import avatars, generations, journal, ledger, photos, promo, users

__all__ = ["avatars", "generations", "journal", "ledger", "photos", "promo", "users"]
