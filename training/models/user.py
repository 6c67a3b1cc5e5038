"""Users, their roles, and the fixed vocabularies of roles and audiences."""
from __future__ import annotations

import datetime as dt
import secrets

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.models.base import Base, UTCDateTime, utcnow
from training.text_fold import SEARCH_KEY_LENGTH, number_key, search_key

#: role id -> Japanese label. A user may hold several.
ROLES: dict[str, str] = {
    "trainee": "受講者",
    "instructor": "研修担当",
    "personnel": "人事・人材育成",
    "admin": "システム管理者",
}

#: audience id -> Japanese label (受講区分). More may be added here as data.
AUDIENCES: dict[str, str] = {
    "residents": "区民",
    "teachers": "教員",
    "counter_staff": "窓口業務等の職員",
    "counselors": "相談員",
    "high_school": "高校生",
}


def new_session_token() -> str:
    """A random token: the generation every session row of the user is checked against."""
    return secrets.token_urlsafe(16)


class User(UserMixin, Base):
    """A person who signs in. Employee numbers are text: leading zeros matter to personnel."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    name_kana: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    audience: Mapped[str | None] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(100))
    #: The master department (training/models/department.py); None while the ward has no
    #: master or the free text is not yet mapped (admin 所属の対応づけ).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    employee_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Folded name, kana, login id and number for search (training/text_fold.py), and the
    #: employee number without leading zeros; both kept by the listeners below on every write.
    search_key: Mapped[str | None] = mapped_column(String(SEARCH_KEY_LENGTH), index=True)
    employee_no_digits: Mapped[str | None] = mapped_column(String(32), index=True)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login -----------------------------------------------------------------------
    #: The secret of the server-side session this object was signed in or loaded with
    #: (training.auth.sessions); not a column, only for the request at hand.
    session_secret = None

    def get_id(self) -> str:
        """Session id: the row id plus this device's session secret (see training.auth.sessions)."""
        return f"{self.id}:{self.session_secret or ''}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.active)

    # Roles -----------------------------------------------------------------------------
    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        """True when the user holds at least one of ``roles``."""
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles: set[str] | list[str]) -> None:
        """Replace the user's roles, keeping rows that stay (no churn in the table)."""
        wanted = set(roles)
        unknown = wanted - ROLES.keys()
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        self.role_rows = [r for r in self.role_rows if r.role in wanted] + [
            UserRole(role=r) for r in sorted(wanted - self.roles)
        ]

    def end_sessions(self) -> None:
        """End every session of this user, on every device (their rows' generation no longer matches)."""
        self.session_token = new_session_token()

    @property
    def audience_label(self) -> str:
        return AUDIENCES.get(self.audience or "", "")

    def refresh_search_keys(self) -> None:
        """Recompute ``search_key`` and ``employee_no_digits`` from the current values."""
        self.search_key = search_key(self.display_name, self.name_kana, self.login_id, self.employee_no)
        self.employee_no_digits = number_key(self.employee_no)

    def __repr__(self) -> str:
        return f"<User {self.login_id}>"


#: The columns the search keys are made of.
_KEY_SOURCES = ("display_name", "name_kana", "login_id", "employee_no")


@event.listens_for(User, "before_insert")
def _search_keys_on_insert(_mapper, _connection, user: User) -> None:
    # Every ORM writer (accounts, admin forms, roster import, join codes, retention, CLI, demo)
    # goes through these two listeners, so the keys cannot go stale; Core inserts must call
    # training.text_fold.search_key themselves.
    user.refresh_search_keys()


@event.listens_for(User, "before_update")
def _search_keys_on_update(_mapper, _connection, user: User) -> None:
    state = inspect(user)
    if user.search_key is None or any(state.attrs[name].history.has_changes() for name in _KEY_SOURCES):
        user.refresh_search_keys()   # not on a sign-in's last_login_at, say


class UserRole(Base):
    """One role held by one user."""

    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))

    user: Mapped[User] = relationship(back_populates="role_rows")
