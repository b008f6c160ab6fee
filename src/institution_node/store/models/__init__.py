"""ORM models. Importing this package registers every table on ``Base.metadata``."""

from network_common.jobs import job_run_table
from network_common.models_base import Base

from .circulation import Fee, FeeTransaction, Loan
from .core import ApiKey, Desk, Institution, Library, PatronRole, StaffRole, StaffRoleLibrary, User
from .credentials import StaffLogin
from .fulfilment import FulfilmentRule
from .inventory import BibRecord, Holding, Item
from .letters import LetterTemplate
from .network import IdempotencyRecord, LinkChange
from .outbox import OutboxMessage
from .partners import Partner, Rota, RotaEntry
from .records import Attachment, Block, Note, Notification, StatCategory
from .requests import Request
from .resource_sharing import BorrowingRequest, History, IncomingMessage, LendingRequest

#: The scheduler's record of each job's last run (network_common.jobs).
JOB_RUN = job_run_table(Base.metadata)

__all__ = [
    "JOB_RUN",
    "ApiKey",
    "Attachment",
    "Base",
    "BibRecord",
    "Block",
    "BorrowingRequest",
    "Desk",
    "Fee",
    "FeeTransaction",
    "FulfilmentRule",
    "History",
    "Holding",
    "IdempotencyRecord",
    "IncomingMessage",
    "Institution",
    "Item",
    "LendingRequest",
    "LetterTemplate",
    "Library",
    "LinkChange",
    "Loan",
    "Note",
    "Notification",
    "OutboxMessage",
    "Partner",
    "PatronRole",
    "Request",
    "Rota",
    "RotaEntry",
    "StaffLogin",
    "StaffRole",
    "StaffRoleLibrary",
    "StatCategory",
    "User",
]
