"""What ormshift knows about a database server as such, shared by transfer and verify."""

from ormshift.db.identity import Identity, identity, same_database

__all__ = ["Identity", "identity", "same_database"]
