"""Which help-now lines to suggest, in which order, for whom and at what time.

Plain functions over the content's contacts and a moment (the caller asks training.clock).
The person's own lines come first (a high-school student: the youth lines; adults and
signed-out visitors: the general set), then the others; within each group the lines open now
come first, then those whose hours the source does not give, then the closed ones by when they
open. A line closed now is never the first suggestion: when none of the person's own lines is
open, the first open line of the others leads.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from training.content.hours import is_open, next_opening, opens_label
from training.content.model import HelpContact, HelpContacts

OPEN, UNKNOWN, CLOSED = "open", "unknown", "closed"


@dataclass(frozen=True)
class LineNow:
    """A contact with its state at one moment and the words the page shows for it."""

    contact: HelpContact
    state: str          # open / unknown / closed
    label: str          # 「受付中」「本日16時から」「受付時間は公式ページで」
    own: bool           # one of the person's own lines
    opens_at: dt.datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state == OPEN


def line_now(contact: HelpContact, moment: dt.datetime, own: bool = True) -> LineNow:
    """The state of one line at ``moment``."""
    if not contact.hours.known:
        return LineNow(contact, UNKNOWN, "受付時間は公式ページで確認を", own)
    if is_open(contact.hours, moment):
        return LineNow(contact, OPEN, "受付中", own)
    opening = next_opening(contact.hours, moment)
    label = opens_label(opening, moment) if opening else "受付時間外"
    return LineNow(contact, CLOSED, label, own, opening)


def _order(lines: list[LineNow]) -> list[LineNow]:
    rank = {OPEN: 0, UNKNOWN: 1, CLOSED: 2}
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return sorted(lines, key=lambda x: (rank[x.state], x.opens_at or far))  # stable: authored order


def lines_for(contacts: HelpContacts, audience: str | None, moment: dt.datetime) -> list[LineNow]:
    """Every line, ordered for ``audience`` (None: signed out) at ``moment``."""
    own = [line_now(c, moment, True) for c in contacts.contacts if c.is_for(audience)]
    others = [line_now(c, moment, False) for c in contacts.contacts if not c.is_for(audience)]
    ordered = _order(own) + _order(others)
    if ordered and not ordered[0].is_open:
        first_open = next((x for x in ordered if x.is_open), None)
        if first_open is not None:
            ordered.remove(first_open)
            ordered.insert(0, first_open)
    return ordered


#: lines_for's answers of the last minutes, by (contacts, audience, minute). Every page's layout
#: asks (the help panel), so most requests of a minute ask the same question.
_BY_MINUTE: dict[tuple, tuple[HelpContacts, tuple[LineNow, ...]]] = {}
_BY_MINUTE_MAX = 64


def lines_this_minute(contacts: HelpContacts, audience: str | None, moment: dt.datetime) -> tuple[LineNow, ...]:
    """``lines_for`` at ``moment``, computed once per minute for the same contacts and audience.

    Opening rules are whole minutes (``HH:MM``; hours.py counts minutes after midnight) and a
    window holds ``start <= moment < end``, so every moment of one minute gives the states,
    labels and order of the minute's first second. The contacts are compared by identity (the
    ward's edits make a new object), and kept with the answer so their id is never reused."""
    minute = moment.replace(second=0, microsecond=0)
    key = (id(contacts), audience, minute)
    hit = _BY_MINUTE.get(key)
    if hit is not None and hit[0] is contacts:
        return hit[1]
    lines = tuple(lines_for(contacts, audience, minute))
    if len(_BY_MINUTE) >= _BY_MINUTE_MAX:
        _BY_MINUTE.clear()
    _BY_MINUTE[key] = (contacts, lines)
    return lines
