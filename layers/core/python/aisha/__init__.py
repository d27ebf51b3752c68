"""Aisha's core layer: configuration, data access and the domain services every function shares."""

__version__ = "0.1.0"

__all__ = ["__version__"]
