"""Account operations as plain functions: create, authenticate, change password, roles."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from training import audit
from training.auth.employee_numbers import employee_no_problem
from training.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from training.email_addresses import EmailAddressError, optional_email
from training.extensions import db
from training.models import AUDIENCES, ROLES, User, utcnow
from training.text_input import too_long

# Hashes of a random password, one per configured method, verified when the login id is
# unknown or the account's own hash is lighter than the configured one, so that the response
# time does not reveal which login ids exist or which accounts still hold a first-login hash.
_DUMMY_HASH: dict[str, str] = {}

#: Login ids people choose themselves (join-code registration): ASCII letters, digits and
#: ``. _ -``, 3-64 characters, starting with a letter. A roster gives new accounts their
#: 職員番号 as login id, and those start with a digit, so a self-registered id can never
#: take one that a later roster row needs.
SELF_REGISTERED_LOGIN_ID = re.compile(r"[A-Za-z][A-Za-z0-9._-]{2,63}")


class AccountError(ValueError):
    """A Japanese message explaining why an account operation was refused."""


class WrongCurrentPassword(AccountError):
    """The current password given to change it was wrong (audited, counted toward a limit)."""


@dataclass(frozen=True)
class NewUser:
    login_id: str
    display_name: str
    password: str
    roles: tuple[str, ...] = ("trainee",)
    audience: str | None = None
    department: str | None = None
    employee_no: str | None = None
    email: str | None = None
    name_kana: str | None = None
    must_change_password: bool = False
    #: Chosen by the person at join-code registration: the stricter login-id rule applies.
    self_registered: bool = False


def normalise_login_id(login_id: str) -> str:
    """NFKC first (full-width ＡＢＣ１ becomes ABC1), then surrounding spaces removed."""
    return unicodedata.normalize("NFKC", login_id or "").strip()


def self_registered_login_id_problem(login_id: str) -> str | None:
    """A Japanese message if ``login_id`` (already normalised) breaks the self-registration rule."""
    if SELF_REGISTERED_LOGIN_ID.fullmatch(login_id):
        return None
    if login_id[:1].isdigit():
        return ("ログインIDは英字（a〜z）で始めてください。数字で始まるIDは職員番号のために"
                "空けてあります。")
    return ("ログインIDは英字で始め、半角の英字・数字と . _ - だけを使って3〜64文字で"
            "入力してください（例：taro.nerima）。")


def find_by_login_id(login_id: str) -> User | None:
    """Case-insensitive lookup of a login id (NFKC-normalised first, like stored ids)."""
    normal = normalise_login_id(login_id)
    return db.session.scalar(select(User).where(func.lower(User.login_id) == normal.lower()))


#: Text fields of a new account with their labels: each must fit its column (issue 12).
_TEXT_FIELDS = (("login_id", "ログインID"), ("display_name", "氏名"), ("name_kana", "ふりがな"),
                ("email", "メールアドレス"), ("department", "所属"), ("employee_no", "職員番号"))


def _too_long_problems(data: NewUser) -> list[str]:
    """A message for every text field longer than its column (PostgreSQL would refuse the row)."""
    problems = []
    for field, label in _TEXT_FIELDS:
        message = too_long((getattr(data, field) or "").strip(), User.__table__.c[field].type.length)
        if message:
            problems.append(f"{label}は{message}")
    return problems


def validate_new_user(data: NewUser) -> list[str]:
    """Every problem with ``data`` as Japanese messages (empty when it can be created)."""
    problems = _too_long_problems(data)
    if problems:
        return problems  # a value no column can hold is not looked up any further
    login_id = normalise_login_id(data.login_id)
    if not login_id:
        problems.append("ログインIDを入力してください。")
    elif data.self_registered and self_registered_login_id_problem(login_id):
        problems.append(self_registered_login_id_problem(login_id))
    elif find_by_login_id(login_id):
        problems.append(f"ログインID「{login_id}」は既に使われています。")
    if not data.display_name.strip():
        problems.append("氏名を入力してください。")
    if not data.roles:
        problems.append("役割を1つ以上選んでください。")
    unknown = set(data.roles) - ROLES.keys()
    if unknown:
        problems.append(f"不明な役割です: {', '.join(sorted(unknown))}")
    if data.audience and data.audience not in AUDIENCES:
        problems.append(f"不明な受講区分です: {data.audience}")
    if data.employee_no and employee_no_problem(data.employee_no):
        problems.append(employee_no_problem(data.employee_no) + "。")
    elif data.employee_no and db.session.scalar(select(User.id).where(User.employee_no == data.employee_no)):
        problems.append(f"職員番号「{data.employee_no}」は既に登録されています。")
    try:
        optional_email(data.email)
    except EmailAddressError as exc:
        problems.append(f"{exc}。")
    problem = password_problem(data.password, login_id=login_id)
    if problem:
        problems.append(problem)
    return problems


def _department(text: str | None):
    """The master department ``text`` names by code or name (free text while the master is
    empty; training/departments.py). AccountError with close matches if unknown."""
    from training import departments
    from training.dates import fiscal_year_of, today_jst

    try:
        return departments.Resolver(fiscal_year_of(today_jst())).resolve(text)
    except departments.DepartmentError as exc:
        raise AccountError(f"{exc}。") from None


def create_user(data: NewUser) -> User:
    """Create a user (the caller commits). Raises AccountError listing every problem."""
    problems = validate_new_user(data)
    department = None
    try:
        department = _department(data.department)
    except AccountError as exc:
        problems.append(str(exc))
    if problems:
        raise AccountError(" ".join(problems))
    user = User(
        login_id=normalise_login_id(data.login_id),
        display_name=data.display_name.strip(),
        name_kana=(data.name_kana or None),
        email=optional_email(data.email),
        password_hash=hash_password(data.password),
        audience=data.audience or None,
        department=department.text if department else None,
        department_id=department.department.id if department and department.department else None,
        employee_no=(data.employee_no or None),
        must_change_password=data.must_change_password,
    )
    user.set_roles(set(data.roles))
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", target_type="user", target_id=user.id, login_id=user.login_id,
                 roles=sorted(data.roles))
    return user


def _dummy_hash() -> str:
    """A hash made with the configured method (made once per process and method)."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = hash_password("not-a-real-password-0")
    return _DUMMY_HASH[method]


def authenticate(login_id: str, password: str) -> User | None:
    """Return the active user with these credentials, auditing success and failure.

    The caller commits. A wrong password, an unknown login id and a deactivated account all
    look the same to the person trying, in their answer and in the time it takes: every
    attempt verifies at least one hash of the configured strength.

    No transaction is open while a hash is computed (about 150 ms at full strength): on
    SQLite a POST's transaction holds the database's one write lock, so a burst of sign-ins at
    the start of a class would otherwise queue every other writer behind each hash.
    """
    user = find_by_login_id(login_id)
    found = None if user is None else (user.id, user.login_id, user.password_hash, bool(user.active))
    db.session.commit()  # ends the read (and its lock) before the hashing below
    if found is None:
        verify_password(_dummy_hash(), password)
        audit.record("login.failure", login_id=login_id[:64], reason="unknown_login_id")
        return None
    user_id, found_login_id, stored_hash, active = found
    correct = verify_password(stored_hash, password)
    if needs_rehash(stored_hash):
        # A lighter hash (a roster's first-login hash, or one from an older setting) answers
        # in milliseconds, which would reveal such accounts: spend a configured-strength
        # verification as well. On success the hash is upgraded below, so this happens once.
        verify_password(_dummy_hash(), password)
    if not correct:
        audit.record("login.failure", target_type="user", target_id=user_id, login_id=found_login_id,
                     reason="wrong_password")
        return None
    if not active:
        audit.record("login.failure", target_type="user", target_id=user_id, login_id=found_login_id,
                     reason="inactive")
        return None
    upgraded = hash_password(password) if needs_rehash(stored_hash) else None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.password_hash != stored_hash:
        # Deactivated or given a new password while we were hashing: this attempt does not count.
        audit.record("login.failure", target_type="user", target_id=user_id, login_id=found_login_id,
                     reason="changed_during_sign_in")
        return None
    if upgraded:
        user.password_hash = upgraded
    user.last_login_at = utcnow()
    audit.record("login.success", actor=user, target_type="user", target_id=user.id)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change a user's own password; other sessions of the user end. Raises AccountError."""
    if not verify_password(user.password_hash, current):
        # Audited like a failed sign-in: someone at an open session may be guessing.
        audit.record("user.password_change_failure", actor=user, target_type="user", target_id=user.id)
        raise WrongCurrentPassword("現在のパスワードが正しくありません。")
    problem = password_problem(new, login_id=user.login_id)
    if problem:
        raise AccountError(problem)
    if verify_password(user.password_hash, new):
        raise AccountError("新しいパスワードは現在のものと違うものにしてください。")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.end_sessions()
    audit.record("user.password_change", actor=user, target_type="user", target_id=user.id)


def set_password_by_admin(user: User, new: str) -> None:
    """An administrator sets a temporary password; the user must change it at next login."""
    problem = password_problem(new, login_id=user.login_id)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new)
    user.must_change_password = True
    user.end_sessions()
    audit.record("user.password_reset", target_type="user", target_id=user.id)


def update_roles(user: User, roles: set[str]) -> bool:
    """Set the roles of a user, auditing the change. Returns True if anything changed."""
    before = user.roles
    if before == roles:
        return False
    if not roles:
        raise AccountError("役割を1つ以上選んでください。")
    user.set_roles(roles)
    audit.record("user.roles_change", target_type="user", target_id=user.id,
                 before=sorted(before), after=sorted(roles))
    return True


def set_active(user: User, active: bool) -> bool:
    """Deactivate (ending every session) or reactivate a user, audited."""
    if user.active == active:
        return False
    user.active = active
    if not active:
        user.end_sessions()
    audit.record("user.deactivate" if not active else "user.reactivate",
                 target_type="user", target_id=user.id)
    return True
