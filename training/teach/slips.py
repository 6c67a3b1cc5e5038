"""Login slips (ID通知書): first-login passwords handed out on paper (PDF) or merged (CSV), once.

A slip batch is made by a roster import or a password reset. Passwords are never stored in
plain text: the batch's rows are encrypted with a key derived from the app's SECRET_KEY and
kept in ``slip_batch`` until the PDF and the CSV have each been downloaded once, or for
``SLIP_HOURS`` hours. After that only the row's bookkeeping remains, and a download says that
the slips are gone and how to get new ones (reset the password on the member's page).

The cipher uses only the standard library: a keystream from HMAC-SHA256 in counter mode over
a random 16-byte nonce (a PRF in CTR mode), then HMAC-SHA256 over nonce and ciphertext
(encrypt-then-MAC), with separate keys for the two derived from the secret. The project has
no cryptography package; this construction needs nothing else and a wrong key or a changed
byte is refused rather than misread.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from flask import current_app, render_template
from sqlalchemy import update

from training.certificates.codes import ALPHABET
from training.extensions import db
from training.models import SlipBatch, utcnow
from training.spreadsheet import csv_bytes

SLIP_HOURS = 24
#: Slips per A4 page: two, cut along the dashed line (big enough to read, half the paper).
SLIPS_PER_PAGE = 2
_NONCE, _TAG = 16, 32


class SlipsGone(LookupError):
    """The batch was downloaded already, or expired: its passwords no longer exist."""


@dataclass(frozen=True)
class Slip:
    name: str
    login_id: str
    password: str
    audience: str | None = None


def first_login_password() -> str:
    """15 random characters (75 bits) in groups of five, ``ABCDE-FGHJK-MNPQR``.

    The alphabet has no I, L, O or U, so a slip read from paper is not misread, and a password
    never starts with ``-`` or another character a spreadsheet takes for a formula.
    """
    raw = "".join(secrets.choice(ALPHABET) for _ in range(15))
    return "-".join(raw[i:i + 5] for i in range(0, 15, 5))


def _keys() -> tuple[bytes, bytes]:
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return (hmac.new(secret, b"training slips: encryption", hashlib.sha256).digest(),
            hmac.new(secret, b"training slips: authentication", hashlib.sha256).digest())


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (hmac.new(key, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest()
              for i in range((length + 31) // 32))
    return b"".join(blocks)[:length]


def encrypt(plain: bytes) -> bytes:
    enc, mac = _keys()
    nonce = secrets.token_bytes(_NONCE)
    cipher = bytes(a ^ b for a, b in zip(plain, _keystream(enc, nonce, len(plain))))
    return nonce + cipher + hmac.new(mac, nonce + cipher, hashlib.sha256).digest()


def decrypt(blob: bytes) -> bytes:
    enc, mac = _keys()
    nonce, cipher, tag = blob[:_NONCE], blob[_NONCE:-_TAG], blob[-_TAG:]
    if len(blob) < _NONCE + _TAG or not hmac.compare_digest(
            tag, hmac.new(mac, nonce + cipher, hashlib.sha256).digest()):
        raise SlipsGone("slip batch cannot be read with this secret")
    return bytes(a ^ b for a, b in zip(cipher, _keystream(enc, nonce, len(cipher))))


def purge_expired(now: dt.datetime | None = None) -> int:
    """Erase the passwords of every batch past its 24 hours (called whenever slips are touched).

    Returns how many batches were erased (the caller commits)."""
    now = now or utcnow()
    return db.session.execute(update(SlipBatch).where(SlipBatch.payload.is_not(None), SlipBatch.expires_at <= now)
                              .values(payload=None).execution_options(synchronize_session=False)).rowcount


def create_batch(slips: list[Slip], *, cohort_id: int | None, created_by, kind: str) -> SlipBatch:
    """Store ``slips`` encrypted for one download of each format (the caller commits)."""
    purge_expired()
    data = json.dumps([s.__dict__ for s in slips], ensure_ascii=False).encode()
    now = utcnow()
    batch = SlipBatch(cohort_id=cohort_id, created_by_id=getattr(created_by, "id", None), kind=kind,
                      count=len(slips), payload=encrypt(data), created_at=now,
                      expires_at=now + dt.timedelta(hours=SLIP_HOURS))
    db.session.add(batch)
    db.session.flush()
    return batch


def available(batch: SlipBatch, fmt: str) -> bool:
    if batch.payload is None or batch.expires_at <= utcnow():
        return False
    return (batch.pdf_downloaded_at if fmt == "pdf" else batch.csv_downloaded_at) is None


def peek(batch: SlipBatch, fmt: str) -> list[Slip]:
    """The slips for ``fmt`` without taking them (the PDF job renders first, then takes them:
    a failed rendering leaves the download available); SlipsGone if not available."""
    if not available(batch, fmt):
        raise SlipsGone(batch.id)
    return [Slip(**row) for row in json.loads(decrypt(batch.payload))]


def take(batch: SlipBatch, fmt: str) -> list[Slip]:
    """The slips for one download of ``fmt`` (pdf | csv), marking it taken; SlipsGone if not available.

    The mark is a conditional UPDATE, so two downloads at once cannot both succeed. When both
    formats have been taken the payload is erased in the same transaction (the caller commits).
    """
    purge_expired()
    column = SlipBatch.pdf_downloaded_at if fmt == "pdf" else SlipBatch.csv_downloaded_at
    now = utcnow()
    marked = db.session.execute(update(SlipBatch).where(
        SlipBatch.id == batch.id, column.is_(None), SlipBatch.payload.is_not(None), SlipBatch.expires_at > now)
        .values({column: now}).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(batch)
    if marked != 1 or batch.payload is None:
        raise SlipsGone(batch.id)
    slips = [Slip(**row) for row in json.loads(decrypt(batch.payload))]
    if batch.pdf_downloaded_at is not None and batch.csv_downloaded_at is not None:
        batch.payload = None
    return slips


def help_lines(contacts, audience: str | None) -> tuple[str, str]:
    """The emergency line (119/110) and one general phone line from the contacts, for a slip."""
    general = next((c for c in contacts.contacts if c.kind == "phone" and c.number and c.is_for(audience)),
                   next((c for c in contacts.contacts if c.kind == "phone" and c.number), None))
    line = ""
    if general is not None:
        line = f"{general.name} {general.number}" + (f"（{general.hours.text}）" if general.hours.text else "")
    return contacts.emergency, line


def render_html(slips: list[Slip], *, site_url: str, organisation: str, class_name: str, contacts) -> str:
    items = [(s, *help_lines(contacts, s.audience)) for s in slips]
    return render_template("teach/slips_pdf.html", items=items, site_url=site_url, organisation=organisation,
                           class_name=class_name, per_page=SLIPS_PER_PAGE)


def render_pdf(html_text: str) -> bytes:
    """Slips as one A4 PDF (WeasyPrint as for certificates: inline resources only, fonts embedded)."""
    from weasyprint import HTML

    from training.certificates.pdf import _font_config, safe_url_fetcher

    return HTML(string=html_text, url_fetcher=safe_url_fetcher, base_url=None).write_pdf(font_config=_font_config())


def to_csv(slips: list[Slip], site_url: str) -> bytes:
    return csv_bytes(["氏名", "ログインID", "初回ログイン用パスワード", "ログインするページ"],
                     [[s.name, s.login_id, s.password, site_url] for s in slips])
