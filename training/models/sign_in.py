"""Server-side sign-in sessions and the attempt counters behind the sign-in limits."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from training.models.base import Base, UTCDateTime, utcnow


class UserSession(Base):
    """One signed-in device: the cookie holds a random secret, the row only its SHA-256.

    The row is live while it is not ended (sign-out on this device), not expired, and its
    ``generation`` still equals the user's ``session_token``: a password change, an admin
    reset or a deactivation rotates that token, which ends every session of the user at once.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    generation: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class LimitEvent(Base):
    """One attempt counted toward a limit (``scope`` + ``subject``: an account, an address).

    Reserved before the attempt is evaluated and deleted again when it succeeds, so the rows
    in a window are the failures plus the attempts still in flight. ``expires_at`` is when the
    row stops mattering to every window of its limit; older rows are purged.
    """

    __tablename__ = "limit_event"
    __table_args__ = (Index(None, "scope", "subject", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
