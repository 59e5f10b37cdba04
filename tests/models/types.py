"""``AlertRule`` of the types corpus set (tests/corpus/types), written by hand: array and
jsonb columns for the array and JSON find operators."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Identity,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AlertRule(Base):
    __tablename__ = "alert_rule"

    id: Mapped[int] = mapped_column(Integer, Identity(always=False), primary_key=True)
    title: Mapped[str] = mapped_column(String)
    triggerCount: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    effectiveFrom: Mapped[datetime.datetime] = mapped_column(DateTime())
    severity: Mapped[str] = mapped_column(String(16), server_default=text("'warning'"))
    priority: Mapped[int] = mapped_column(Integer, server_default=text("3"))
    offsetMinutes: Mapped[int] = mapped_column(Integer, server_default=text("'-15'"))
    threshold: Mapped[decimal.Decimal] = mapped_column(Numeric(6, 2), server_default=text("'90'"))
    minimumDelta: Mapped[decimal.Decimal] = mapped_column(
        Numeric(6, 2), server_default=text("'-0.5'")
    )
    hysteresis: Mapped[float] = mapped_column(Float(24), server_default=text("'0.25'"))
    notifyOnResolve: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    muted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    createdAt: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    updatedAt: Mapped[datetime.datetime] = mapped_column(
        DateTime(), server_default=text("CURRENT_TIMESTAMP")
    )
    externalId: Mapped[uuid.UUID] = mapped_column(Uuid, server_default=text("gen_random_uuid()"))
    webhookToken: Mapped[str] = mapped_column(String(36), server_default=text("gen_random_uuid()"))
    validFrom: Mapped[datetime.date] = mapped_column(Date, server_default=text("CURRENT_DATE"))
    channels: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    recipients: Mapped[list[str]] = mapped_column(ARRAY(String(120)), server_default=text("'{}'"))
    labels: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    escalationPolicy: Mapped[str | None] = mapped_column(String(64))

    __mapper_args__: ClassVar[dict[str, Any]] = {"eager_defaults": True}


ENTITIES = {"AlertRule": AlertRule}
