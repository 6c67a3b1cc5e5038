"""Attempt limits counted in the database: sign-in, password change, join codes, certificate checks.

Why the database and not Flask-Limiter's storage: the database is already shared by every
gunicorn worker and every app server, and it can count *atomically*. An attempt first
*reserves* its place in one short write transaction (lock, count the window, refuse or
insert, commit); only then is it evaluated, outside that lock; a success gives the place back
(``forgive``), so what stays counted is failures. Parallel requests therefore never get more
evaluations than the limit allows, whatever the number of workers.

The lock is the database's own: on SQLite the app's write transactions begin IMMEDIATE
(``training.database``), so one writer at a time in every process; on PostgreSQL a
transaction-scoped advisory lock on a hash of each (scope, subject). A GET view that reserves
must be marked ``writes_on_get`` so its SQLite transaction begins IMMEDIATE too.

Limits keep Flask-Limiter's syntax ("5 per 15 minutes", several joined with ";").
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import unicodedata
from dataclasses import dataclass

from limits import parse_many
from sqlalchemy import delete, select, text
from werkzeug.exceptions import TooManyRequests

from training.extensions import db
from training.models import LimitEvent, utcnow

#: At most this many expired rows are purged per reservation (enough to keep up: a
#: reservation adds at most one row per check).
PURGE_BATCH = 500


@dataclass(frozen=True)
class Check:
    """One limit to take an attempt from, e.g. ("login-account", "tanaka", "5 per 15 minutes")."""

    scope: str
    subject: str
    limit: str


@dataclass(frozen=True)
class Reservation:
    """The attempts ``reserve`` took; ``forgive`` gives them back."""

    event_ids: tuple[int, ...]


class TooManyAttempts(TooManyRequests):
    """A limit is reached; ``retry_at`` (UTC) is when an attempt will be taken again."""

    def __init__(self, retry_at: dt.datetime):
        super().__init__(retry_after=retry_at)
        self.retry_at = retry_at


def account_subject(login_id: str | None) -> str:
    """The account a sign-in names, as the limit counts it: NFKC, trimmed, case-folded.

    Coarser than the account lookup on purpose: two spellings of one login id (full-width,
    another case) must share one count, never get one each.
    """
    return unicodedata.normalize("NFKC", login_id or "").strip().casefold()[:64]


@functools.lru_cache(maxsize=64)
def windows(limit: str) -> tuple[tuple[int, dt.timedelta], ...]:
    """(amount, window) for each part of a limit string; a wrong string raises ValueError."""
    return tuple((item.amount, dt.timedelta(seconds=item.get_expiry())) for item in parse_many(limit))


def reserve(*checks: Check) -> Reservation:
    """Take one attempt from every check, or none and raise TooManyAttempts; commits.

    Call it before evaluating the attempt and with nothing else pending in the session (it
    commits, to hold the lock for as short a time as possible).
    """
    now = utcnow()
    _lock(checks)
    _purge(now)
    retry_at: dt.datetime | None = None
    for check in checks:
        parts = windows(check.limit)
        longest = max(window for _amount, window in parts)
        times = db.session.scalars(
            select(LimitEvent.at)
            .where(LimitEvent.scope == check.scope, LimitEvent.subject == check.subject,
                   LimitEvent.at > now - longest)
            .order_by(LimitEvent.at)).all()
        for amount, window in parts:
            recent = [at for at in times if at > now - window]
            if len(recent) >= amount:
                # The window frees a place when enough of its oldest attempts have aged out.
                free_at = recent[len(recent) - amount] + window if amount > 0 else now + window
                retry_at = free_at if retry_at is None else max(retry_at, free_at)
    if retry_at is not None:
        db.session.commit()  # keeps the purge, releases the lock
        raise TooManyAttempts(retry_at)
    events = [LimitEvent(scope=check.scope, subject=check.subject, at=now,
                         expires_at=now + max(window for _amount, window in windows(check.limit)))
              for check in checks]
    db.session.add_all(events)
    db.session.flush()
    event_ids = tuple(event.id for event in events)
    db.session.commit()
    return Reservation(event_ids)


def forgive(reservation: Reservation) -> None:
    """Give the attempts back (the attempt succeeded, so it is not counted). The caller commits."""
    if reservation.event_ids:
        db.session.execute(delete(LimitEvent).where(LimitEvent.id.in_(reservation.event_ids)),
                           execution_options={"synchronize_session": False})


def _lock(checks: tuple[Check, ...]) -> None:
    """Serialise reservations of the same subjects until this transaction ends.

    PostgreSQL: an advisory lock per (scope, subject), taken in a fixed order so two requests
    sharing two subjects cannot deadlock. SQLite: the transaction began IMMEDIATE and already
    holds the database's one write lock, so there is nothing more to take.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_lock_key(check) for check in checks})
    for key in keys:
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _lock_key(check: Check) -> int:
    """A stable signed 64-bit number for (scope, subject): the same in every process."""
    digest = hashlib.blake2b(f"{check.scope}\0{check.subject}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _purge(now: dt.datetime) -> None:
    """Delete a batch of rows no window needs any more.

    SKIP LOCKED (PostgreSQL; SQLite has one writer and ignores it) lets two reservations purge
    side by side without waiting on, or deadlocking over, the same rows.
    """
    expired = (select(LimitEvent.id).where(LimitEvent.expires_at <= now)
               .limit(PURGE_BATCH).with_for_update(skip_locked=True))
    db.session.execute(delete(LimitEvent).where(LimitEvent.id.in_(expired)),
                       execution_options={"synchronize_session": False})
