"""Help-now contacts (いますぐ相談したい方へ), kept as data with source and verified date."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

#: A check older than this is flagged to administrators.
VERIFY_EVERY_DAYS = 365


class ContentError(ValueError):
    """Content that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class HelpContact:
    id: str
    name: str
    number: str
    hours: str
    source_url: str
    source_note: str
    verified_on: dt.date

    def is_stale(self, today: dt.date) -> bool:
        """True when the last check is older than VERIFY_EVERY_DAYS."""
        return (today - self.verified_on).days > VERIFY_EVERY_DAYS

    @property
    def tel_href(self) -> str:
        """A tel: link target (digits only), or empty when there is no number."""
        digits = "".join(ch for ch in self.number if ch.isdigit())
        return f"tel:{digits}" if digits else ""


@dataclass(frozen=True)
class HelpContacts:
    emergency: str
    contacts: tuple[HelpContact, ...]


def load_help_contacts(path: Path) -> HelpContacts:
    """Parse ``help_contacts.yaml``; raise ContentError naming the file on any problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path}: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("contacts"), list):
        raise ContentError(f"{path}: 'contacts' の一覧がありません")
    contacts = []
    for index, item in enumerate(raw["contacts"]):
        where = f"{path}: contacts[{index}]"
        missing = [k for k in ("id", "name", "source_url", "verified_on") if k not in item]
        if missing:
            raise ContentError(f"{where}: missing {', '.join(missing)}")
        verified = item["verified_on"]
        if not isinstance(verified, dt.date):
            raise ContentError(f"{where}.verified_on: YYYY-MM-DD の日付ではありません")
        contacts.append(
            HelpContact(
                id=str(item["id"]),
                name=str(item["name"]),
                number=str(item.get("number") or ""),
                hours=str(item.get("hours") or ""),
                source_url=str(item.get("source_url") or ""),
                source_note=str(item.get("source_note") or ""),
                verified_on=verified,
            )
        )
    return HelpContacts(emergency=str(raw.get("emergency", "")), contacts=tuple(contacts))
