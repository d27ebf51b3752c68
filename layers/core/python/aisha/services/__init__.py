"""Domain services: each takes an open connection (one transaction) and applies the rules.

Import the module you use (`from aisha.services import ledger`): this package re-exports nothing, so
a function loads only the services, and the backends, it needs.
"""
