"""Local PostgreSQL, Redis and S3 servers for development and tests.

`python -m infra.devservices up` starts whatever is missing on free loopback ports under `.local/`
and writes the connection settings to `.local/services.env`; `down` stops what it started.
A variable already set in the environment (DATABASE_URL, REDIS_URL, S3_ENDPOINT_URL) wins: that
service is not started here.
"""

from infra.devservices.orchestrate import ServiceSet, down, status, up

__all__ = ["ServiceSet", "down", "status", "up"]
