"""E-mail addresses: one check for every place that stores one (self-registration, the admin
user forms, ``training users create``, the roster) and for reminders before they are sent.

An address is one mailbox, checked for syntax only (no DNS: the ward's mail may be internal),
and normalised by email_validator (the domain in lower case). A value with a line break, a
second address or a display name is refused, so a stored address can never add a header to
a reminder.
"""
from __future__ import annotations

from wtforms.validators import ValidationError

#: Longest address SMTP allows (RFC 5321 path limit); also the column length.
MAX_LENGTH = 254


class EmailAddressError(ValueError):
    """A Japanese message naming the address that was refused."""


def _shown(value: str) -> str:
    """The refused value as it may be shown back: control characters (line breaks) become
    spaces, and a very long value is cut, so the message stays one readable line."""
    text = "".join(ch if ch.isprintable() else " " for ch in value)
    return text if len(text) <= 60 else text[:60] + "…"


def normalise_email(value: str) -> str:
    """The normalised address, or EmailAddressError 「メールアドレス「…」の形式が正しくありません」."""
    from email_validator import EmailNotValidError, validate_email  # here: only forms with an address need it

    text = (value or "").strip()
    try:
        if not text or len(text) > MAX_LENGTH:
            raise EmailNotValidError("empty or too long")
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise EmailAddressError(f"メールアドレス「{_shown(text)}」の形式が正しくありません") from None


def optional_email(value: str | None) -> str | None:
    """None for an empty value, else the normalised address (EmailAddressError if malformed)."""
    if value is None or not value.strip():
        return None
    return normalise_email(value)


class EmailAddress:
    """WTForms validator using the same check, so a form shows the same message as the domain."""

    def __call__(self, form, field) -> None:
        if field.data and field.data.strip():
            try:
                normalise_email(field.data)
            except EmailAddressError as exc:
                raise ValidationError(f"{exc}。") from None
