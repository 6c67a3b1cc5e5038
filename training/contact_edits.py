"""The ward's edits of the help-now contacts and the directory, over the content files.

The files (modules/help_contacts.yaml, modules/directory.yaml) stay the default. The database
holds, per entry, only the fields the ward changed (``ContactEdit.fields``), contacts the ward
added, and a hidden flag (a line the ward stops showing keeps its history). The effective
contacts are the file's contacts with those fields over them, hidden ones left out, ordered by
``order`` (the file's order counts 10, 20, 30…), each with the day of its last verification.

The help panel is on every page, so the effective contacts are cached per process: at most
every ``CONTACTS_RECHECK_SECONDS`` (2 s) one small query reads the newest revision and
verification ids; only when they changed is the state read again (three queries). A write in
this process drops the cache at once; other workers see it within the recheck interval.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
import time
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from training import audit, clock
from training.content.hours import Hours, HoursError, parse_closed, parse_rule
from training.content.model import (
    CONCERNS, CONTACT_KINDS, GENERAL, Content, DirectoryEntry, HelpContact, HelpContacts,
)
from training.dates import JST
from training.models import AUDIENCES, ContactEdit, ContactRevision, ContactVerification, User

#: Default seconds between two version checks of the cached effective contacts.
RECHECK_SECONDS = 2.0
#: A verification older than this many months asks for a new check.
RECHECK_MONTHS = 12

CONTACT_FIELDS = {
    "name": "名前", "kind": "種類", "number": "電話番号", "url": "リンク（LINE・チャット）",
    "hours_text": "受付時間（表示する文）", "hours_open": "受付時間（open）", "hours_closed": "休みの日（closed）",
    "source_url": "出典URL", "source_note": "出典の名前", "note": "注記", "audiences": "対象",
    "order": "表示順", "hidden": "表示しない",
}
DIRECTORY_FIELDS = {
    "name": "名前", "department": "担当課", "description": "説明", "phone": "電話番号",
    "address": "所在地", "hours": "受付時間", "concerns": "相談の内容", "audiences": "対象",
}
KIND_LABELS = {"phone": "電話", "line": "LINE", "web": "チャット（ウェブ）"}
AUDIENCE_LABELS = {GENERAL: "一般（大人・ログイン前）", **AUDIENCES}
STATUS_LABELS = {"unverified": "未確認", "verified": "確認済み", "stale": "要再確認"}

PHONE = re.compile(r"^[0-9]+(?:-[0-9]+)*$")


# ── values ──────────────────────────────────────────────────────────────────────────────

def contact_values(contact: HelpContact) -> dict:
    """The editable fields of a line as plain JSON values."""
    return {"name": contact.name, "kind": contact.kind, "number": contact.number, "url": contact.url,
            "hours_text": contact.hours.text, "hours_open": list(contact.hours.open),
            "hours_closed": list(contact.hours.closed), "source_url": contact.source_url,
            "source_note": contact.source_note, "note": contact.note, "audiences": ordered_audiences(contact.audiences),
            "order": contact.order}


def ordered_audiences(audiences) -> list[str]:
    """Audiences in the one order the form uses (so an untouched field is no change)."""
    return sorted(audiences, key=lambda a: list(AUDIENCE_LABELS).index(a) if a in AUDIENCE_LABELS else 99)


def contact_from(values: dict, contact_id: str, found_on: dt.date) -> HelpContact:
    """A HelpContact from plain values (HoursError when its hours do not parse)."""
    return HelpContact(
        id=contact_id, name=values["name"], kind=values["kind"], number=values["number"], url=values["url"],
        hours=Hours(text=values["hours_text"], open=tuple(values["hours_open"]), closed=tuple(values["hours_closed"])),
        source_url=values["source_url"], source_note=values["source_note"], found_on=found_on,
        audiences=tuple(values["audiences"]), note=values["note"], order=int(values["order"]))


def directory_values(entry: DirectoryEntry) -> dict:
    return {"name": entry.name, "department": entry.department, "description": entry.description,
            "phone": entry.phone, "address": entry.address, "hours": entry.hours,
            "concerns": [k for k in CONCERNS if k in entry.concerns], "audiences": list(entry.audiences)}


def directory_from(values: dict, base: DirectoryEntry) -> DirectoryEntry:
    return replace(base, name=values["name"], department=values["department"], description=values["description"],
                   phone=values["phone"], address=values["address"], hours=values["hours"],
                   concerns=tuple(values["concerns"]), audiences=tuple(values["audiences"]))


# ── checks (the admin forms use these; messages name the field) ─────────────────────────

def hours_problems(open_lines: list[str], closed_lines: list[str], text: str) -> dict[str, list[str]]:
    """Field -> Japanese messages for hours that do not parse, each naming its line."""
    problems: dict[str, list[str]] = {}
    for key, lines, parse, label in (("hours_open", open_lines, parse_rule, "受付時間（open）"),
                                     ("hours_closed", closed_lines, parse_closed, "休みの日（closed）")):
        for number, line in enumerate(lines, start=1):
            try:
                parse(line)
            except HoursError as problem:
                problems.setdefault(key, []).append(f"{label}の{number}行目「{line}」: {problem}")
    if open_lines and not text.strip():
        problems.setdefault("hours_text", []).append("受付時間を決めたときは、表示する文も書いてください。")
    if closed_lines and not open_lines:
        problems.setdefault("hours_closed", []).append("休みの日は、受付時間（open）と一緒に書いてください。")
    return problems


def web_address_problem(value: str) -> str | None:
    """http/https addresses only (no javascript:, no relative links)."""
    if value and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.I):
        return "http:// または https:// で始まるアドレスを入力してください。"
    return None


def phone_problem(value: str) -> str | None:
    if value and (not PHONE.match(value) or len(value) > 20):
        return "電話番号は半角数字とハイフンで入力してください（例：0120-279-338）。"
    return None


def contact_problems(values: dict) -> dict[str, list[str]]:
    """Field -> messages for a line's values as a whole (kind, number and link together)."""
    problems = hours_problems(values["hours_open"], values["hours_closed"], values["hours_text"])
    for key in ("url", "source_url"):
        message = web_address_problem(values[key])
        if message:
            problems.setdefault(key, []).append(message)
    message = phone_problem(values["number"])
    if message:
        problems.setdefault("number", []).append(message)
    if values["kind"] == "phone" and not values["number"]:
        problems.setdefault("number", []).append("電話の窓口には電話番号が必要です。")
    if values["kind"] in ("line", "web"):
        if not values["url"]:
            problems.setdefault("url", []).append("LINE・チャットの窓口には、運営元のページのリンクが必要です。")
        if values["number"]:
            problems.setdefault("number", []).append("LINE・チャットの窓口は番号ではなくリンクで案内します。番号は空にしてください。")
    if values["kind"] not in CONTACT_KINDS:
        problems.setdefault("kind", []).append("種類を選んでください。")
    unknown = [a for a in values["audiences"] if a not in AUDIENCE_LABELS]
    if unknown or not values["audiences"]:
        problems.setdefault("audiences", []).append("対象を1つ以上、選択肢の中から選んでください。")
    return problems


# ── the effective state ─────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Verification:
    at: dt.datetime
    by: str
    source_url: str
    note: str


@dataclass(frozen=True)
class LineState:
    """One help-now line as the ward sees it: effective values, what changed, its last check."""

    contact: HelpContact
    base: HelpContact | None        # the file's line (None: added by the ward)
    hidden: bool
    edited: tuple[str, ...]         # fields that differ from the file
    verification: Verification | None

    def status(self, today: dt.date) -> str:
        """unverified / verified / stale (the last check is more than 12 months old)."""
        if self.verification is None:
            return "unverified"
        return "stale" if self.verification.at.astimezone(JST).date() < months_before(today, RECHECK_MONTHS) else "verified"


def months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Effective:
    """Everything the pages need, built once per version of the ward's edits."""

    version: tuple
    contacts: HelpContacts                  # what people see: visible lines, in order
    lines: tuple[LineState, ...]            # every line for the admin pages (hidden too)
    directory: tuple[DirectoryEntry, ...]
    directory_edited: frozenset[str]

    def line(self, contact_id: str) -> LineState | None:
        return next((x for x in self.lines if x.contact.id == contact_id), None)

    def entry(self, entry_id: str) -> DirectoryEntry | None:
        return next((e for e in self.directory if e.id == entry_id), None)

    def needing_check(self, today: dt.date) -> list[LineState]:
        """Shown lines never verified by the ward, or verified more than 12 months ago."""
        return [x for x in self.lines if not x.hidden and x.status(today) != "verified"]

    def content(self, base: Content) -> Content:
        """The content with the effective contacts and directory (for the JSON export)."""
        return replace(base, contacts=self.contacts, directory=self.directory)


def _version(session) -> tuple:
    row = session.execute(select(
        select(func.max(ContactRevision.id)).scalar_subquery(),
        select(func.max(ContactVerification.id)).scalar_subquery())).one()
    return tuple(row)


def _default_order(index: int) -> int:
    return (index + 1) * 10


def build(content: Content, edits: list[ContactEdit], checks: dict[str, Verification], version: tuple = ()) -> Effective:
    """The effective contacts and directory from the files and the ward's rows."""
    by_key = {(e.kind, e.target_id): e for e in edits}
    lines = []
    for index, base in enumerate(content.contacts.contacts):
        base = replace(base, order=base.order or _default_order(index))
        lines.append(_line(base, by_key.get(("contact", base.id)), checks.get(base.id)))
    for edit in edits:
        if edit.kind == "contact" and edit.added:
            found = dt.date.fromisoformat(edit.fields.get("found_on") or edit.updated_at.astimezone(JST).date().isoformat())
            try:
                contact = contact_from(edit.fields, edit.target_id, found)
            except (HoursError, KeyError, TypeError, ValueError):
                continue  # a stored line the current rules cannot read is left out, never a 500
            contact = replace(contact, verified_on=_day(checks.get(edit.target_id)))
            lines.append(LineState(contact, None, edit.hidden, tuple(CONTACT_FIELDS), checks.get(edit.target_id)))
    lines.sort(key=lambda x: x.contact.order)  # stable: the file's order among equals
    visible = tuple(x.contact for x in lines if not x.hidden)
    directory, edited = [], set()
    for entry in content.directory:
        edit = by_key.get(("directory", entry.id))
        if edit and edit.fields:
            values = {**directory_values(entry), **{k: v for k, v in edit.fields.items() if k in DIRECTORY_FIELDS}}
            entry = directory_from(values, entry)
            edited.add(entry.id)
        directory.append(entry)
    return Effective(version, HelpContacts(content.contacts.emergency, visible), tuple(lines),
                     tuple(directory), frozenset(edited))


def _day(check: Verification | None) -> dt.date | None:
    return check.at.astimezone(JST).date() if check else None


def _line(base: HelpContact, edit: ContactEdit | None, check: Verification | None) -> LineState:
    contact, edited = base, ()
    if edit is not None and edit.fields:
        values = {**contact_values(base), **{k: v for k, v in edit.fields.items() if k in CONTACT_FIELDS}}
        try:
            contact = contact_from(values, base.id, base.found_on)
            edited = tuple(k for k in CONTACT_FIELDS if k in edit.fields)
        except (HoursError, KeyError, TypeError, ValueError):
            contact = base  # the file's line rather than a 500
    return LineState(replace(contact, verified_on=_day(check)), base, bool(edit and edit.hidden), edited, check)


def read(session, content: Content) -> Effective:
    """Read the ward's rows and build the effective state (four small queries)."""
    version = _version(session)
    edits = list(session.scalars(select(ContactEdit)))
    checks: dict[str, Verification] = {}
    rows = session.execute(select(ContactVerification, User.display_name)
                           .outerjoin(User, User.id == ContactVerification.actor_id)
                           .order_by(ContactVerification.id))
    for row, name in rows:
        checks[row.contact_id] = Verification(row.at, name or "（削除された利用者）", row.source_url, row.note)
    return build(content, edits, checks, version)


def files_only(content: Content) -> Effective:
    return build(content, [], {}, ())


_lock = threading.Lock()


def effective(app=None) -> Effective:
    """The effective state for this process, rechecked at most every few seconds."""
    from training.extensions import db

    app = app or current_app._get_current_object()
    slot = app.extensions.setdefault("contact_edits", {})
    cached, checked = slot.get("value"), slot.get("checked", 0.0)
    now = time.monotonic()
    if cached is not None and now - checked < app.config.get("CONTACTS_RECHECK_SECONDS", RECHECK_SECONDS):
        return cached
    content = app.extensions["content"]
    try:
        version = _version(db.session)
        if cached is None or cached.version != version:
            cached = read(db.session, content)
    except SQLAlchemyError:
        db.session.rollback()
        app.logger.exception("相談先の編集内容を読めませんでした。ファイルの内容を表示します。")
        return cached or files_only(content)
    with _lock:
        slot["value"], slot["checked"] = cached, now
    return cached


def invalidate(app=None) -> None:
    """Forget the cached state (after this process committed an edit)."""
    app = app or current_app._get_current_object()
    app.extensions.setdefault("contact_edits", {}).clear()


# ── writes (the caller commits, then calls invalidate) ──────────────────────────────────

def _edit_row(session, kind: str, target_id: str) -> ContactEdit | None:
    return session.scalar(select(ContactEdit).where(ContactEdit.kind == kind, ContactEdit.target_id == target_id))


def _revision(session, kind: str, target_id: str, changes: dict, actor) -> None:
    session.add(ContactRevision(kind=kind, target_id=target_id, changes=changes, actor_id=getattr(actor, "id", None),
                                at=clock.now()))


def save_contact(session, content: Content, contact_id: str, values: dict, hidden: bool, actor) -> dict:
    """Store a line's new values; returns the changes (field -> [old, new]), {} when none."""
    state = read(session, content).line(contact_id)
    if state is None:
        raise KeyError(contact_id)
    old = {**contact_values(state.contact), "hidden": state.hidden}
    new = {**values, "hidden": hidden}
    changes = {k: [old[k], new[k]] for k in CONTACT_FIELDS if old[k] != new[k]}
    if not changes:
        return {}
    row = _edit_row(session, "contact", contact_id)
    if state.base is not None:
        base = contact_values(state.base)
        overrides = {k: v for k, v in values.items() if base[k] != v}
    else:
        overrides = {**values, "found_on": row.fields.get("found_on")}
    if row is None:
        row = ContactEdit(kind="contact", target_id=contact_id, fields={}, added=False, hidden=False)
        session.add(row)
    row.fields, row.hidden, row.updated_by = overrides, hidden, getattr(actor, "id", None)
    _revision(session, "contact", contact_id, changes, actor)
    audit.record("contact.update", target_type="contact", target_id=contact_id, changes=changes)
    return changes


def add_contact(session, content: Content, values: dict, actor, today: dt.date) -> str:
    """A new line from the ward (not in the file); returns its id."""
    taken = {x.contact.id for x in read(session, content).lines}
    number = 1
    while f"ward-{number}" in taken:
        number += 1
    contact_id = f"ward-{number}"
    session.add(ContactEdit(kind="contact", target_id=contact_id, added=True, hidden=False,
                            fields={**values, "found_on": today.isoformat()}, updated_by=getattr(actor, "id", None)))
    changes = {k: [None, values[k]] for k in values}
    _revision(session, "contact", contact_id, changes, actor)
    audit.record("contact.add", target_type="contact", target_id=contact_id, changes=changes)
    return contact_id


def verify(session, content: Content, contact_id: str, source_url: str, note: str, actor) -> ContactVerification:
    """「確認しました」: who checked which line against which source, with the line as it was."""
    state = read(session, content).line(contact_id)
    if state is None:
        raise KeyError(contact_id)
    check = ContactVerification(contact_id=contact_id, source_url=source_url, note=note, at=clock.now(),
                                actor_id=getattr(actor, "id", None), snapshot=contact_values(state.contact))
    session.add(check)
    audit.record("contact.verify", target_type="contact", target_id=contact_id, source_url=source_url, note=note)
    return check


def save_directory(session, content: Content, entry_id: str, values: dict, actor) -> dict:
    """Store a directory entry's new values; returns the changes (field -> [old, new])."""
    base = next((e for e in content.directory if e.id == entry_id), None)
    if base is None:
        raise KeyError(entry_id)
    current = read(session, content).entry(entry_id)
    old = directory_values(current)
    changes = {k: [old[k], values[k]] for k in DIRECTORY_FIELDS if old[k] != values[k]}
    if not changes:
        return {}
    row = _edit_row(session, "directory", entry_id)
    if row is None:
        row = ContactEdit(kind="directory", target_id=entry_id, fields={}, added=False, hidden=False)
        session.add(row)
    file_values = directory_values(base)
    row.fields = {k: v for k, v in values.items() if file_values[k] != v}
    row.updated_by = getattr(actor, "id", None)
    _revision(session, "directory", entry_id, changes, actor)
    audit.record("directory.update", target_type="directory", target_id=entry_id, changes=changes)
    return changes


def history(session, kind: str, target_id: str) -> list[tuple[str, object, str]]:
    """Every revision and verification of one entry, newest first: (what, row, who)."""
    events = []
    for row, name in session.execute(select(ContactRevision, User.display_name)
                                     .outerjoin(User, User.id == ContactRevision.actor_id)
                                     .where(ContactRevision.kind == kind, ContactRevision.target_id == target_id)):
        events.append(("revision", row, name or "（削除された利用者）"))
    if kind == "contact":
        for row, name in session.execute(select(ContactVerification, User.display_name)
                                         .outerjoin(User, User.id == ContactVerification.actor_id)
                                         .where(ContactVerification.contact_id == target_id)):
            events.append(("verification", row, name or "（削除された利用者）"))
    events.sort(key=lambda e: (e[1].at, e[1].id), reverse=True)
    return events
