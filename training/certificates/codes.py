"""Serial numbers and verification codes."""
from __future__ import annotations

import secrets

#: Crockford base32: no I, L, O, U, so codes read aloud and typed by hand are unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20          # 100 bits: nothing to enumerate
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_verification_code() -> str:
    """``XXXX-XXXX-XXXX-XXXX-XXXX`` from a cryptographic random source."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str) -> str | None:
    """A typed code in canonical form, or None when it cannot be a code (no lookup needed)."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch not in " -‐－ー　\t").translate(_CONFUSABLE)
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return "-".join(cleaned[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def serial_for(fiscal_year: int, sequence: int, revision: int = 1) -> str:
    """``GK2026-00042`` (first issue) or ``GK2026-00042-2`` (second revision)."""
    base = f"GK{fiscal_year}-{sequence:05d}"
    return base if revision == 1 else f"{base}-{revision}"


def mask_name(name: str) -> str:
    """Keep the first character of each part of two or more characters: ``光が丘 健`` ->
    ``光＊＊ ＊``. A one-character part is masked whole (``李 明`` -> ``＊ ＊``): showing its
    first character would show all of it."""
    parts = name.replace("　", " ").split(" ")
    return " ".join("＊" if len(p) == 1 else p[:1] + "＊" * (len(p) - 1) for p in parts if p)
