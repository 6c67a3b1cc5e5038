"""Password hashing at OWASP strength, with the method set explicitly in configuration, and
the rules a new password must meet (OWASP ASVS 6.2: length, common passwords, context words).

Common passwords are judged by zxcvbn (PyPI ``zxcvbn``, the maintained Python port of
Dropbox's estimator): its ranked lists hold the 30,000 most common passwords of public
breach corpora plus common names and words, matched also through l33t spellings, reversals,
keyboard walks, sequences, repeats and dates. A password is refused below score 3 (about
10^8 guesses). Words of the context (the login id, the ward, the service, the organisation
name) are refused wherever they appear in the password, whatever its score.
"""
from __future__ import annotations

import unicodedata

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD_LENGTH = 10
#: The longest password the sign-in form accepts (training/auth/forms.py, max_length(256)).
MAX_PASSWORD_LENGTH = 256
#: zxcvbn score (0-4) a new password must reach: 3 is "safely unguessable" (>= 10^8 guesses).
MIN_STRENGTH_SCORE = 3
#: zxcvbn's matching grows faster than linearly with length and it refuses input past 72
#: characters; a password that long is strong anyway, so only its start is scored (the
#: forms allow 256).
STRENGTH_CHECK_LENGTH = 72
#: The ward and the service: words an attacker tries first against this site (ASVS 6.2.11).
CONTEXT_WORDS = ("練馬", "nerima", "ゲートキーパー", "gatekeeper", "gate-keeper", "げーときーぱー")
#: A login id this short is refused only as the whole password, not as a part of one.
MIN_LOGIN_ID_IN_PASSWORD = 4


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


def _folded(text: str) -> str:
    """NFKC and case folding, so ＮＥＲＩＭＡ and Nerima compare equal to nerima."""
    return unicodedata.normalize("NFKC", text).casefold()


def context_words() -> list[str]:
    """The ward, the service and the configured organisation name (when an app is running)."""
    words = list(CONTEXT_WORDS)
    if has_app_context() and current_app.config.get("ORGANISATION_NAME"):
        words.append(current_app.config["ORGANISATION_NAME"])
    return words


def password_problem(password: str, *, login_id: str | None = None) -> str | None:
    """A Japanese message if the password may not be used, else None.

    Used wherever a password is set: the password-change page, an administrator's new user
    and reset, join-code registration and ``training users create`` (through
    accounts.create_user), and ``training demo --password``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。"
    if len(password) > MAX_PASSWORD_LENGTH:  # the sign-in form would refuse it: the account could never sign in
        return f"パスワードは{MAX_PASSWORD_LENGTH}文字以内にしてください。"
    folded = _folded(password)
    if login_id:
        own = _folded(login_id)
        if folded == own:
            return "ログインIDと同じパスワードは使えません。"
        if len(own) >= MIN_LOGIN_ID_IN_PASSWORD and own in folded:
            return "ログインIDを含むパスワードは使えません。"
    if len(set(password)) < 4:
        return "同じ文字の繰り返しは避けてください。"
    words = context_words()
    for word in words:
        if _folded(word) in folded:
            return (f"「{word}」のように、区やこの研修に関係する言葉を含むパスワードは推測されやすいため"
                    "使えません。")
    from zxcvbn import zxcvbn  # here, not at start-up: only a new password is scored

    if zxcvbn(password[:STRENGTH_CHECK_LENGTH], user_inputs=words + ([login_id] if login_id else []))[
            "score"] < MIN_STRENGTH_SCORE:
        return ("よく使われるパスワードや、推測されやすい並び（連続した文字・キーボードの並び・"
                "単語と数字の組み合わせ・日付など）は使えません。関係のない言葉をいくつかつなげた、"
                "長めのパスワードにしてください。")
    return None
