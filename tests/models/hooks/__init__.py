"""The hooks corpus set (tests/corpus/hooks) as `ormshift generate` writes it, with the
listeners, transformers and subscribers it leaves as stubs ported by hand."""

from .account import Account
from .base import Base
from .entry import Entry
from .event_log import EventLog
from .memo import Memo
from .subscribers import SUBSCRIBERS

__all__ = ["SUBSCRIBERS", "Account", "Base", "Entry", "EventLog", "Memo"]
