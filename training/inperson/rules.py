"""The counting rule of attendance: pure, no database (issue 17).

Attended and late count as having taken the session; absent does not; left early counts only
when the instructor confirms that the person took the whole content (e.g. the role-play was
done before they left). A status not yet recorded (None) does not count.
"""
from __future__ import annotations

import datetime as dt

from training.dates import JST

#: status -> label, in the order the roll call shows them.
STATUSES: dict[str, str] = {
    "attended": "出席",
    "late": "遅刻",
    "left_early": "早退",
    "absent": "欠席",
}
NOT_RECORDED = "未記録"


def counts(status: str | None, left_early_confirmed: bool = False) -> bool:
    """Whether the attendance counts towards completing the course."""
    if status in ("attended", "late"):
        return True
    if status == "left_early":
        return bool(left_early_confirmed)
    return False


def label(status: str | None) -> str:
    return STATUSES.get(status or "", NOT_RECORDED)


def completion_kind(mode: str, elearning_done: bool) -> str | None:
    """The kind of completion an attendance that counts makes: in_person for a session that
    completes the course by itself; blended once the e-learning is also done; else None (the
    blended completion waits for the e-learning)."""
    if mode == "in_person":
        return "in_person"
    if mode == "blended":
        return "blended" if elearning_done else None
    raise ValueError(f"unknown session mode: {mode}")


def session_end(session) -> dt.datetime:
    """When the session ended (its date and end time, JST): the time of the completion it records,
    so its fiscal year is the 年度 of the session's date."""
    return dt.datetime.combine(session.held_on, session.ends_at, tzinfo=JST)
