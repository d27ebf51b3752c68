"""Local stand-ins of the outside services (FAL AI, ...) for tests and `make run`."""
