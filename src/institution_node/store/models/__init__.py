"""ORM models. Importing this package registers every table on ``Base.metadata``."""

from network_common.models_base import Base

from .circulation import Fee, FeeTransaction, Loan
from .core import ApiKey, Desk, Institution, Library, PatronRole, StaffRole, StaffRoleLibrary, User
from .credentials import StaffLogin
from .fulfilment import FulfilmentRule
from .inventory import BibRecord, Holding, Item
from .network import IdempotencyRecord
from .outbox import OutboxMessage
from .records import Attachment, Block, Note, Notification, StatCategory
from .requests import Request

__all__ = [
    "ApiKey",
    "Attachment",
    "Base",
    "BibRecord",
    "Block",
    "Desk",
    "Fee",
    "FeeTransaction",
    "FulfilmentRule",
    "Holding",
    "IdempotencyRecord",
    "Institution",
    "Item",
    "Library",
    "Loan",
    "Note",
    "Notification",
    "OutboxMessage",
    "PatronRole",
    "Request",
    "StaffLogin",
    "StaffRole",
    "StaffRoleLibrary",
    "StatCategory",
    "User",
]
