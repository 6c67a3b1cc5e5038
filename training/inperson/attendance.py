"""Attendance and what it records: the roll call, the attendance CSV and completions (issue 17).

A status that counts (training.inperson.rules) of a session that completes the course by itself
records a completion of kind in_person dated the session's end (JST), through the same function
as the e-learning (training.learn.completion.write_course_completion: cycle, fiscal year,
department snapshot, certificate). For a blended session the completion is written by whichever
part comes later: here when the e-learning is already complete (its completion of this cycle
becomes blended), or by training.learn.completion when the e-learning is finished afterwards.
A recorded completion is never removed by a later change of status; the change is audited.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import func, select

from training import audit
from training.content import current_content
from training.dates import today_jst
from training.extensions import db
from training.inperson.rules import STATUSES, completion_kind, counts, label, session_end
from training.learn.completion import write_course_completion
from training.learn.cycle import current_cycle
from training.models import CourseCompletion, SessionParticipant, TrainingSession, User, utcnow
from training.teach.roster import RosterError, decode

#: Labels and aliases an attendance CSV may use for a status.
STATUS_BY_TEXT = {text: key for key, text in STATUSES.items()} | {key: key for key in STATUSES} | {
    "○": "attended", "〇": "attended", "×": "absent"}


class AttendanceError(ValueError):
    """A Japanese message: why the attendance was refused (nothing was changed)."""


def mark(session: TrainingSession, participant: SessionParticipant, status: str | None, *,
         left_early_confirmed: bool = False, via: str = "roll_call") -> CourseCompletion | None:
    """Record one person's attendance (the caller commits); returns a completion it wrote."""
    if status is not None and status not in STATUSES:
        raise AttendanceError("出欠は一覧から選んでください。")
    if status is not None and session.held_on > today_jst():
        raise AttendanceError(f"実施日（{session.held_on.month}月{session.held_on.day}日）より前には出欠を記録できません。")
    confirmed = bool(left_early_confirmed) and status == "left_early"
    before = (participant.status, participant.left_early_confirmed)
    if before == (status, confirmed):
        return None
    participant.status = status
    participant.left_early_confirmed = confirmed
    participant.marked_at = utcnow()
    audit.record("session.attendance", target_type="training_session", target_id=session.id,
                 user_id=participant.user_id, status=status, before=before[0], via=via,
                 **({"left_early_confirmed": True} if confirmed else {}),
                 **({"completion_kept": participant.completion_id}
                    if participant.completion_id and not counts(status, confirmed) else {}))
    if not counts(status, confirmed) or participant.completion_id:
        return None
    return _complete(session, participant)


def _complete(session: TrainingSession, participant: SessionParticipant) -> CourseCompletion | None:
    course = current_content().course(session.course_id)
    if course is None:
        return None
    cycle, _since = current_cycle(participant.user_id, course.id)
    existing = db.session.scalar(select(CourseCompletion).where(
        CourseCompletion.user_id == participant.user_id, CourseCompletion.course_id == course.id,
        CourseCompletion.cycle == cycle))
    kind = completion_kind(session.mode, elearning_done=existing is not None)
    if session.mode == "blended":
        # The e-learning already complete in this cycle: its completion becomes blended, once.
        if kind == "blended" and existing.kind == "elearning":
            existing.kind = "blended"
            participant.completion_id = existing.id
            audit.record("session.blended", target_type="training_session", target_id=session.id,
                         user_id=participant.user_id, completion_id=existing.id)
        return None  # otherwise the e-learning, when finished, writes the blended completion
    if existing is not None:
        return None  # already complete in this cycle (e.g. by the e-learning): counted once
    user = db.session.get(User, participant.user_id)
    completion = write_course_completion(user, course, cycle=cycle, kind=kind,
                                         completed_at=session_end(session), session_id=session.id)
    if completion is not None:
        participant.completion_id = completion.id
    return completion


@dataclass(frozen=True)
class AttendanceRow:
    line: int
    participant: SessionParticipant
    status: str


def check_csv(session: TrainingSession, data: bytes) -> list[AttendanceRow]:
    """Read an attendance CSV (職員番号 or ログインID, 出欠): every row must name a participant
    and a status; otherwise AttendanceError lists the rows and nothing is recorded."""
    try:
        text, _encoding = decode(data)
    except RosterError as exc:
        raise AttendanceError(str(exc)) from None
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise AttendanceError(f"CSV として読めません（{exc}）。") from None
    if not table:
        raise AttendanceError("ファイルが空です。1行目に見出し（職員番号,出欠）を書いてください。")
    header = [h.strip().lstrip("\ufeff").lower() for h in table[0]]
    who = next((i for i, h in enumerate(header) if h in ("職員番号", "employee_no", "ログインid", "login_id")), None)
    what = next((i for i, h in enumerate(header) if h in ("出欠", "status")), None)
    if who is None or what is None:
        raise AttendanceError("1行目: 見出しに「職員番号」（またはログインID）と「出欠」の列が必要です。")
    people = {p.user_id: p for p in session.participants}
    users = db.session.execute(select(User.id, User.employee_no, func.lower(User.login_id))
                               .where(User.id.in_(list(people)))).all() if people else []
    by_key = {}
    for user_id, number, login in users:
        by_key[login] = user_id
        if number:
            by_key.setdefault(number.lower(), user_id)
    rows, errors, seen = [], [], {}
    for line, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        key = cells[who].strip() if who < len(cells) else ""
        value = cells[what].strip() if what < len(cells) else ""
        user_id = by_key.get(key.lower())
        problems = []
        if not key:
            problems.append("職員番号（またはログインID）が空です")
        elif user_id is None:
            problems.append(f"「{key[:40]}」はこの研修の参加者にいません（先に参加者に追加してください）")
        elif user_id in seen:
            problems.append(f"{seen[user_id]}行目と同じ人です")
        if value not in STATUS_BY_TEXT:
            problems.append(f"出欠「{value[:20]}」は使えません（{'・'.join(STATUSES.values())}）")
        if problems:
            errors.append(f"{line}行目: " + "、".join(problems))
            continue
        seen[user_id] = line
        rows.append(AttendanceRow(line, people[user_id], STATUS_BY_TEXT[value]))
    if session.held_on > today_jst():
        raise AttendanceError(f"実施日（{session.held_on.month}月{session.held_on.day}日）より前には出欠を取り込めません。")
    if errors:
        shown = errors[:20] + ([f"ほか{len(errors) - 20}行"] if len(errors) > 20 else [])
        raise AttendanceError("取り込めませんでした（何も記録していません）。" + " / ".join(shown))
    if not rows:
        raise AttendanceError("取り込む行がありません（2行目以降に1人1行で書いてください）。")
    return rows


def apply_csv(session: TrainingSession, rows: list[AttendanceRow]) -> int:
    """Record every row (the caller commits once); returns the number of completions written."""
    written = 0
    for row in rows:
        if mark(session, row.participant, row.status, via="csv") is not None:
            written += 1
    audit.record("session.attendance_csv", target_type="training_session", target_id=session.id, rows=len(rows))
    return written


__all__ = ["AttendanceError", "STATUSES", "apply_csv", "check_csv", "label", "mark", "session_end"]
