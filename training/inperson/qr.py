"""QR check-in codes of a session: pure functions, no database (issue 17).

A code is ``<session id>-<minute window>-<mac>``: the window is the number of whole minutes
since the Unix epoch, the mac an HMAC-SHA256 (first 16 bytes, base64url) of both under a key
derived from SECRET_KEY. The code of the current and of the previous window is accepted (a
scan at :59 still works); an older one with a good mac is *expired*; anything else (a changed
session id, a future window, a bad mac) is *invalid*. A code is worth nothing outside the
session's check-in period (``checkin_period``): from 30 minutes before its start to its end,
on its day (JST).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re

from training.dates import JST

#: How long before the start the QR code is shown and accepted.
OPENS_BEFORE = dt.timedelta(minutes=30)
WINDOW_SECONDS = 60
_CODE = re.compile(r"^(\d{1,10})-(\d{1,12})-([A-Za-z0-9_-]{22})$")


class CodeError(ValueError):
    """``kind`` is "invalid" or "expired"."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def window_of(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // WINDOW_SECONDS


def seconds_left(moment: dt.datetime) -> int:
    """Seconds until the code shown now is replaced by the next one."""
    return WINDOW_SECONDS - int(moment.timestamp()) % WINDOW_SECONDS


def _key(secret_key: str | bytes) -> bytes:
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, b"training.inperson.qr/v1", hashlib.sha256).digest()


def _mac(secret_key, session_id: int, window: int) -> str:
    digest = hmac.new(_key(secret_key), f"{session_id}:{window}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_code(secret_key, session_id: int, window: int) -> str:
    return f"{session_id}-{window}-{_mac(secret_key, session_id, window)}"


def read_code(secret_key, code: str, now: dt.datetime) -> tuple[int, int]:
    """(session id, window) of a code made by this app for the current or previous window;
    CodeError("expired") for an older genuine code, CodeError("invalid") otherwise."""
    match = _CODE.match(code or "")
    if match is None:
        raise CodeError("invalid")
    session_id, window = int(match.group(1)), int(match.group(2))
    if not hmac.compare_digest(match.group(3), _mac(secret_key, session_id, window)):
        raise CodeError("invalid")
    current = window_of(now)
    if window > current:
        raise CodeError("invalid")
    if window < current - 1:
        raise CodeError("expired")
    return session_id, window


def checkin_period(held_on: dt.date, starts_at: dt.time, ends_at: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """When the QR code is shown and accepted (aware JST datetimes)."""
    start = dt.datetime.combine(held_on, starts_at, tzinfo=JST)
    return start - OPENS_BEFORE, dt.datetime.combine(held_on, ends_at, tzinfo=JST)
