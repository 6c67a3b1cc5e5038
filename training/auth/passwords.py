"""Password hashing at OWASP strength, with the method set explicitly in configuration."""
from __future__ import annotations

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """Hash with the configured method (default PBKDF2-SHA256, 600,000 iterations)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str, password: str) -> bool:
    """Constant-time check of a password against its stored hash."""
    return check_password_hash(password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash was made with another method than the configured one."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    return not password_hash.startswith(method + "$")


def password_problem(password: str, *, login_id: str | None = None) -> str | None:
    """A Japanese message if the password is too weak, else None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。"
    if login_id and password.lower() == login_id.lower():
        return "ログインIDと同じパスワードは使えません。"
    if len(set(password)) < 4:
        return "同じ文字の繰り返しは避けてください。"
    return None
