"""Hand-written SQLAlchemy models mirroring corpus sets, for `ormshift.orm` tests."""
