"""What the API shows of outgoing messages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from certnet.notifications.models import MessageState


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    filename: str
    content_type: str
    size: int


class MessageRead(BaseModel):
    """One outgoing message and its delivery state."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket: str | None
    owner_cert_id: int
    organisation_id: int | None
    object_type: str
    object_id: int | None
    recipients: list[str]
    subject: str
    text: str
    message_id: str
    state: MessageState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
    attachments: list[AttachmentRead]


class DeliveryRead(BaseModel):
    sent: int
    failed: int
    retrying: int
