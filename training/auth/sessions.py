"""Server-side sign-in sessions: start one on sign-in, end it on sign-out, load it per request.

The cookie stays Flask's signed cookie, but what it names is a row of ``user_session``: the
Flask-Login id is ``"<user id>:<secret>"`` and the row holds only the secret's SHA-256. So
signing out ends the session on the server (a copy of the cookie taken before no longer opens
anything), and a stolen database does not hand out sessions.

What ends what (decided for issue 12): signing out ends this device's session only; a
password change, an administrator's password reset and a deactivation end every session of
the user (``User.end_sessions`` rotates the generation every row is checked against).
"""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app, request, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import joinedload

from training.audit import client_address
from training.extensions import db
from training.models import User, UserSession, utcnow

#: Expired rows purged per sign-in (a sign-in adds one).
PURGE_BATCH = 500

#: Built once: SQLAlchemy reuses its compiled form on every request. One query per request:
#: the user, their roles and the check that this session is live.
_USER_BY_SESSION = (
    select(User)
    .options(joinedload(User.role_rows))
    .join(UserSession, UserSession.user_id == User.id)
    .where(User.id == bindparam("user_id"), UserSession.token_hash == bindparam("token_hash"),
           UserSession.generation == User.session_token, UserSession.ended_at.is_(None),
           UserSession.expires_at > bindparam("now"))
)


def token_hash(secret: str) -> str:
    """What the database keeps of a session secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def start(user: User) -> None:
    """Sign ``user`` in on this device: a new session row and a fresh cookie. The caller commits."""
    now = utcnow()
    _purge(now)
    secret = secrets.token_urlsafe(32)
    db.session.add(UserSession(
        user_id=user.id, token_hash=token_hash(secret), generation=user.session_token, created_at=now,
        expires_at=now + current_app.permanent_session_lifetime, ip_address=client_address(),
        user_agent=(request.user_agent.string or "")[:200] or None))
    user.session_secret = secret
    session.clear()  # nothing from before sign-in is carried over (no session fixation)
    login_user(user)
    session.permanent = True


def end_current() -> None:
    """Sign out on this device: its session row ends and the cookie is emptied. The caller commits."""
    secret = getattr(current_user, "session_secret", None)
    if secret:
        db.session.execute(
            update(UserSession).where(UserSession.token_hash == token_hash(secret), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow()),
            execution_options={"synchronize_session": False})
    logout_user()
    session.clear()


def load(session_id: str) -> User | None:
    """The active user of a live session named by the cookie, or None (Flask-Login's loader)."""
    user_id, _, secret = session_id.partition(":")
    if not user_id.isascii() or not user_id.isdigit() or len(user_id) > 18 or not secret:
        return None
    user = db.session.execute(_USER_BY_SESSION, {
        "user_id": int(user_id), "token_hash": token_hash(secret), "now": utcnow()}).unique().scalar_one_or_none()
    if user is None or not user.active:
        return None
    user.session_secret = secret
    return user


def _purge(now) -> None:
    """Delete a batch of expired session rows (ended ones go when they would have expired).

    SKIP LOCKED (PostgreSQL; SQLite ignores it) so two sign-ins never wait on the same rows.
    """
    expired = (select(UserSession.id).where(UserSession.expires_at <= now)
               .limit(PURGE_BATCH).with_for_update(skip_locked=True))
    db.session.execute(delete(UserSession).where(UserSession.id.in_(expired)),
                       execution_options={"synchronize_session": False})
