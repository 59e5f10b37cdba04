"""Typed code as a ported application writes it, checked by ``mypy --strict``."""
