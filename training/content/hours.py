"""Opening hours of the help-now lines: parsed from content, asked "open now?" in JST.

A contact's ``hours`` in ``modules/help_contacts.yaml`` (docs/content-authoring.md)::

    hours:
      text: 毎日16時〜21時（12月29日〜1月3日はお休み）   # what people read
      open: [毎日 16:00-21:00, 毎月10日 08:00-翌08:00]  # when it is open
      closed: [12/29-1/3]                               # dates it does not open

Each ``open`` rule is ``DAYS TIME``: DAYS is 毎日, 平日 (Monday to Friday, not public
holidays), 祝日, weekdays such as 月・水・金 or 月〜金, or 毎月10日; TIME is ``HH:MM-HH:MM``
with ``翌`` for past midnight (``12:00-翌05:30``), or 24時間. A rule alone, ``24時間``, means
every day, all day. ``closed`` items are ``M/D`` or ``M/D-M/D`` (a range may run over the
new year) or 祝日. On a public holiday, rules that name 祝日 replace the weekly rules when
there are any; otherwise the weekly rules apply as on any other day.

Everything here is plain functions over frozen data; the clock is the caller's.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from training.dates import JST

WEEKDAYS = "月火水木金土日"
DAY = 24 * 60
#: How far ahead "opens next" looks (covers the year-end closure and a monthly day).
HORIZON_DAYS = 40


@dataclass(frozen=True)
class Rule:
    """One ``open`` rule: on which days, from ``start`` to ``end`` minutes after midnight."""

    weekdays: frozenset[int] = frozenset()
    on_holidays: bool = False       # names 祝日
    not_on_holidays: bool = False   # 平日
    monthday: int | None = None     # 毎月N日
    start: int = 0
    end: int = DAY                  # may pass midnight: up to start + 24 h


@dataclass(frozen=True)
class Closed:
    """Dates without opening: a (month, day) range, or every public holiday."""

    first: tuple[int, int] = (0, 0)
    last: tuple[int, int] = (0, 0)
    holidays: bool = False

    def covers(self, day: dt.date) -> bool:
        if self.holidays:
            return is_holiday(day)
        key = (day.month, day.day)
        if self.first <= self.last:
            return self.first <= key <= self.last
        return key >= self.first or key <= self.last  # over the new year


class HoursError(ValueError):
    """A rule that does not parse; the message is Japanese and names what to write."""


def _time(text: str, allow_next_day: bool) -> int:
    next_day = text.startswith("翌")
    if next_day:
        if not allow_next_day:
            raise HoursError(f"始まりの時刻に「翌」は使えません: {text}")
        text = text[1:]
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59 or (
            int(match.group(1)) == 24 and int(match.group(2))):
        raise HoursError(f"時刻は 16:00 や 翌05:30 の形で書いてください: {text}")
    return int(match.group(1)) * 60 + int(match.group(2)) + (DAY if next_day else 0)


def _days(text: str) -> dict:
    if text == "毎日":
        return {"weekdays": frozenset(range(7)), "on_holidays": True}
    if text == "平日":
        return {"weekdays": frozenset(range(5)), "not_on_holidays": True}
    monthly = re.fullmatch(r"毎月(\d{1,2})日", text)
    if monthly:
        day = int(monthly.group(1))
        if not 1 <= day <= 31:
            raise HoursError(f"毎月の日付は 1〜31 日です: {text}")
        return {"monthday": day}
    weekdays, on_holidays = set(), False
    for token in re.split(r"[・,、]", text):
        if token in ("祝日", "祝"):
            on_holidays = True
        elif len(token) == 1 and token in WEEKDAYS:
            weekdays.add(WEEKDAYS.index(token))
        elif re.fullmatch(rf"[{WEEKDAYS}][〜~-][{WEEKDAYS}]", token):
            first, last = WEEKDAYS.index(token[0]), WEEKDAYS.index(token[2])
            weekdays.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
        else:
            raise HoursError(f"曜日は 毎日・平日・祝日・月〜金・月・水・金・毎月10日 の形で書いてください: {text}")
    return {"weekdays": frozenset(weekdays), "on_holidays": on_holidays}


def parse_rule(text: str) -> Rule:
    """``"毎日 12:00-翌05:30"`` -> Rule; HoursError when it does not parse."""
    if not isinstance(text, str):
        raise HoursError(f"「毎日 16:00-21:00」の形の文字列で書いてください: {text!r}")
    parts = text.split()
    if parts == ["24時間"]:
        parts = ["毎日", "24時間"]
    if len(parts) != 2:
        raise HoursError(f"「曜日 時刻」（例: 毎日 16:00-21:00）の形で書いてください: {text}")
    days = _days(parts[0])
    if parts[1] == "24時間":
        return Rule(**days)
    times = parts[1].split("-")
    if len(times) != 2:
        raise HoursError(f"時刻は 16:00-21:00 の形で書いてください: {parts[1]}")
    start, end = _time(times[0], False), _time(times[1], True)
    if start >= DAY:
        raise HoursError(f"始まりの時刻は 0:00〜23:59 です: {times[0]}")
    if not start < end <= start + DAY:
        raise HoursError(f"終わりの時刻は始まりより後、24時間以内です（日付をまたぐときは「翌」）: {parts[1]}")
    return Rule(**days, start=start, end=end)


def _month_day(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})", text)
    if not match:
        raise HoursError(f"日付は 12/29 の形で書いてください: {text}")
    month, day = int(match.group(1)), int(match.group(2))
    try:
        dt.date(2024, month, day)  # a leap year: 2/29 is a valid closed date
    except ValueError:
        raise HoursError(f"ない日付です: {text}") from None
    return month, day


def parse_closed(text: str) -> Closed:
    """``"12/29-1/3"``, ``"1/1"`` or ``"祝日"`` -> Closed; HoursError when it does not parse."""
    if not isinstance(text, str):
        raise HoursError(f"「12/29-1/3」の形の文字列で書いてください: {text!r}")
    if text.strip() in ("祝日", "祝"):
        return Closed(holidays=True)
    parts = text.strip().split("-")
    if len(parts) > 2:
        raise HoursError(f"休みの日は 12/29-1/3 や 1/1 の形で書いてください: {text}")
    first = _month_day(parts[0])
    return Closed(first=first, last=_month_day(parts[1]) if len(parts) == 2 else first)


@dataclass(frozen=True)
class Hours:
    """A line's hours: the text people read, and the rules behind "open now"."""

    text: str = ""
    open: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = field(default=(), init=False, compare=False, repr=False)
    closures: tuple[Closed, ...] = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "rules", tuple(parse_rule(r) for r in self.open))
        object.__setattr__(self, "closures", tuple(parse_closed(c) for c in self.closed))

    @property
    def known(self) -> bool:
        """False when the source gives no hours: nobody can say whether it is open."""
        return bool(self.rules)


#: Where a year's holiday dates are kept between starts (create_app: the instance folder's
#: cache). The holidays library takes about 11 MiB and 0.15 s to import for some sixteen dates
#: a year, so a server imports it only for a year it has not seen (docs/decisions.md).
HOLIDAY_CACHE: Path | None = None


@lru_cache(maxsize=8)
def _calendar(year: int) -> frozenset[dt.date]:
    path = None
    if HOLIDAY_CACHE is not None:
        path = HOLIDAY_CACHE / f"holidays-JP-{year}-{metadata.version('holidays')}.json"
        try:
            return frozenset(dt.date.fromisoformat(day) for day in json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, TypeError):
            pass
    import holidays as holiday_calendars

    days = frozenset(holiday_calendars.country_holidays("JP", years=year))
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}")
            temporary.write_text(json.dumps(sorted(day.isoformat() for day in days)), "utf-8")
            os.replace(temporary, path)
        except OSError:
            pass
    return days


def is_holiday(day: dt.date) -> bool:
    """A Japanese public holiday (国民の祝日, 振替休日, 国民の休日)."""
    return day in _calendar(day.year)


def _rules_for(hours: Hours, day: dt.date) -> list[Rule]:
    if any(c.covers(day) for c in hours.closures):
        return []
    weekly = [r for r in hours.rules if r.monthday is None]
    monthly = [r for r in hours.rules if r.monthday == day.day]
    if is_holiday(day):
        named = [r for r in weekly if r.on_holidays and r.weekdays != frozenset(range(7))]
        if named:
            weekly = named
        else:
            weekly = [r for r in weekly if (day.weekday() in r.weekdays or r.on_holidays) and not r.not_on_holidays]
    else:
        weekly = [r for r in weekly if day.weekday() in r.weekdays]
    return weekly + monthly


def windows(hours: Hours, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The opening windows that start on ``day`` (JST), as aware datetimes."""
    midnight = dt.datetime.combine(day, dt.time(), JST)
    return [(midnight + dt.timedelta(minutes=r.start), midnight + dt.timedelta(minutes=r.end))
            for r in _rules_for(hours, day)]


def is_open(hours: Hours, moment: dt.datetime) -> bool:
    """Open at ``moment``: a window of today or of yesterday (past midnight) holds it."""
    local = moment.astimezone(JST)
    return any(start <= local < end for day in (local.date() - dt.timedelta(days=1), local.date())
               for start, end in windows(hours, day))


def next_opening(hours: Hours, moment: dt.datetime) -> dt.datetime | None:
    """When the line opens next after ``moment``, within HORIZON_DAYS; None if never."""
    local = moment.astimezone(JST)
    for offset in range(HORIZON_DAYS):
        starts = sorted(s for s, _e in windows(hours, local.date() + dt.timedelta(days=offset)) if s > local)
        if starts:
            return starts[0]
    return None


def clock_ja(moment: dt.datetime) -> str:
    """``16時`` or ``5時30分``."""
    return f"{moment.hour}時{moment.minute}分" if moment.minute else f"{moment.hour}時"


def opens_label(opening: dt.datetime, moment: dt.datetime) -> str:
    """「本日16時から」「明日16時から」「月曜16時から」「1月4日16時から」."""
    days = (opening.astimezone(JST).date() - moment.astimezone(JST).date()).days
    if days == 0:
        when = "本日"
    elif days == 1:
        when = "明日"
    elif days < 7:
        when = f"{WEEKDAYS[opening.weekday()]}曜"
    else:
        when = f"{opening.month}月{opening.day}日"
    return f"{when}{clock_ja(opening)}から"
