"""Help-line hours: parsing, open now, opens next; and which lines lead for whom (issue 15)."""
import datetime as dt
import shutil
from pathlib import Path

import pytest

from training.content import load_content
from training.content.hours import Hours, HoursError, is_holiday, is_open, next_opening, opens_label, parse_closed, parse_rule
from training.content.loader import load_content as load_tree
from training.dates import JST
from training.main.help_lines import lines_for

ROOT = Path(__file__).resolve().parents[2]
CONTENT, _ = load_content(ROOT)
WEEKDAY = dt.date(2026, 12, 1)   # a Tuesday
HOLIDAY = dt.date(2026, 11, 23)  # 勤労感謝の日, a Monday


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), JST)


@pytest.mark.parametrize("text, start, end", [
    ("毎日 16:00-21:00", 16 * 60, 21 * 60),
    ("毎日 12:00-翌05:30", 12 * 60, 29 * 60 + 30),
    ("毎月10日 08:00-翌08:00", 8 * 60, 32 * 60),
    ("24時間", 0, 24 * 60),
    ("月〜金 09:00-17:00", 9 * 60, 17 * 60),
])
def test_rules_parse(text, start, end):
    rule = parse_rule(text)
    assert (rule.start, rule.end) == (start, end)


@pytest.mark.parametrize("text", ["毎日 16時-21時", "毎日 22:00-05:00", "毎日", "毎週 10:00-12:00",
                                  "毎月32日 10:00-11:00", "毎日 翌01:00-翌02:00", "毎日 25:00-26:00"])
def test_bad_rules_are_refused(text):
    with pytest.raises(HoursError):
        parse_rule(text)


def test_closed_dates_run_over_the_new_year():
    closed = parse_closed("12/29-1/3")
    assert closed.covers(dt.date(2026, 12, 31)) and closed.covers(dt.date(2027, 1, 3))
    assert not closed.covers(dt.date(2027, 1, 4)) and not closed.covers(dt.date(2026, 12, 28))
    with pytest.raises(HoursError):
        parse_closed("13/1")


def test_past_midnight_and_the_monthly_day():
    tokyo = Hours("毎日12時〜翌朝5時30分", ("毎日 12:00-翌05:30",))
    assert is_open(tokyo, at(WEEKDAY, 0, 30)) and is_open(tokyo, at(WEEKDAY, 5, 29))
    assert not is_open(tokyo, at(WEEKDAY, 5, 30)) and not is_open(tokyo, at(WEEKDAY, 11, 59))
    free = Hours("毎日16時〜21時、毎月10日は8時〜翌日8時", ("毎日 16:00-21:00", "毎月10日 08:00-翌08:00"))
    assert is_open(free, at(dt.date(2026, 12, 11), 0, 30))   # the 10th's line runs to 8:00 on the 11th
    assert not is_open(free, at(dt.date(2026, 12, 12), 0, 30))
    assert opens_label(next_opening(free, at(dt.date(2026, 12, 9), 22)), at(dt.date(2026, 12, 9), 22)) == "明日8時から"


def test_year_end_closure_and_holidays():
    childline = Hours("毎日16時〜21時", ("毎日 16:00-21:00",), ("12/29-1/3",))
    moment = at(dt.date(2026, 12, 28), 21, 30)
    assert opens_label(next_opening(childline, moment), moment) == "1月4日16時から"
    assert is_holiday(HOLIDAY) and not is_holiday(WEEKDAY)
    office = Hours("平日9時〜17時", ("平日 09:00-17:00",))
    assert not is_open(office, at(HOLIDAY, 10))
    assert opens_label(next_opening(office, at(HOLIDAY, 10)), at(HOLIDAY, 10)) == "明日9時から"
    saturday = at(dt.date(2026, 11, 28), 10)
    assert opens_label(next_opening(office, saturday), saturday) == "月曜9時から"
    holiday_hours = Hours("平日9時〜17時、祝日10時〜16時", ("平日 09:00-17:00", "祝日 10:00-16:00"))
    assert is_open(holiday_hours, at(HOLIDAY, 15)) and not is_open(holiday_hours, at(HOLIDAY, 16, 30))
    closed_on_holidays = Hours("毎日9時〜17時（祝日休み）", ("毎日 09:00-17:00",), ("祝日",))
    assert not is_open(closed_on_holidays, at(HOLIDAY, 10)) and is_open(closed_on_holidays, at(WEEKDAY, 10))


def _ids(audience, moment, n=3):
    return [(x.contact.id, x.label) for x in lines_for(CONTENT.contacts, audience, moment)[:n]]


@pytest.mark.parametrize("day", [WEEKDAY, HOLIDAY], ids=["weekday", "holiday"])
@pytest.mark.parametrize("hour, minute, student, adult", [
    (0, 30, [("kodomo-sos", "受付中"), ("hotline-line", "本日15時から"), ("childline", "本日16時から")],
     [("yorisoi", "受付中"), ("tokyo-inochi", "受付中"), ("tokyo-hotline", "受付中")]),
    (15, 0, [("kodomo-sos", "受付中"), ("hotline-line", "受付中"), ("childline", "本日16時から")],
     [("yorisoi", "受付中"), ("tokyo-inochi", "受付中"), ("tokyo-hotline", "受付中")]),
    (23, 30, [("kodomo-sos", "受付中"), ("hotline-line", "明日15時から"), ("childline", "明日16時から")],
     [("yorisoi", "受付中"), ("tokyo-inochi", "受付中"), ("tokyo-hotline", "受付中")]),
])
def test_panel_order_by_audience_and_hour(day, hour, minute, student, adult):
    moment = at(day, hour, minute)
    assert _ids("high_school", moment) == student
    assert _ids("counter_staff", moment) == adult
    assert _ids(None, moment) == adult  # signed out: the general set
    for audience in ("high_school", "residents", None):
        first = lines_for(CONTENT.contacts, audience, moment)[0]
        assert first.is_open  # a line closed now is never the first suggestion


def test_adults_see_youth_lines_last_and_closed_lines_with_their_opening():
    lines = lines_for(CONTENT.contacts, "teachers", at(WEEKDAY, 0, 30))
    assert [x.contact.id for x in lines][-2:] == ["kodomo-sos", "childline"]
    by_id = {x.contact.id: x.label for x in lines}
    assert by_id["inochi-denwa-free"] == "本日16時から" and by_id["hotline-line"] == "本日15時から"
    assert by_id["kokoro-dial"].startswith("受付時間は")  # the source gives no hours: no guess


def test_when_no_own_line_is_open_an_open_line_of_the_others_leads():
    from dataclasses import replace
    closed_youth = tuple(replace(c, audiences=("general",)) if c.id == "kodomo-sos" else c
                         for c in CONTENT.contacts.contacts)
    contacts = replace(CONTENT.contacts, contacts=closed_youth)
    first = lines_for(contacts, "high_school", at(WEEKDAY, 0, 30))[0]
    assert first.is_open and first.contact.id == "yorisoi"


@pytest.mark.parametrize("old, new, expected", [
    ("      open: [毎日 12:00-翌05:30]", "      open: [毎日 12時-翌5時30分]",
     "contacts[5].hours.open[0]: 時刻は 16:00 や 翌05:30 の形で書いてください"),
    ("    audiences: [high_school]\n    hours:\n      text: 24時間",
     "    audiences: [highschool]\n    hours:\n      text: 24時間", "contacts[6].audiences[0]:"),
    ("    kind: line\n    url: https://www.metro.tokyo.lg.jp/tosei/hodohappyo/press/2023/02/02/10.html\n",
     "    kind: line\n", "contacts[8].url: LINE・チャットの窓口には運営元のページ"),
    ("    kind: line\n", "    kind: chat\n", "contacts[8].kind: phone / line / web のどれか"),
    ("      closed: [12/29-1/3]", "      closed: [12/32]", "contacts[7].hours.closed[0]: ない日付です"),
    ("      text: 毎日16時〜21時（12月29日〜1月3日はお休み）\n", "      text: \"\"\n",
     "contacts[7].hours.text: 受付時間の説明（text）を書いてください"),
    ("    number: 0120-99-7777\n", "", "contacts[7].number: 電話の窓口には番号（number）が必要です"),
])
def test_checker_names_file_and_line_for_bad_contacts(tmp_path, old, new, expected):
    shutil.copytree(ROOT / "modules", tmp_path / "modules")
    shutil.copytree(ROOT / "quizzes", tmp_path / "quizzes")
    path = tmp_path / "modules" / "help_contacts.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    changed = text.replace(old, new, 1)
    path.write_text(changed, encoding="utf-8")
    content, issues = load_tree(tmp_path)
    assert content is None
    found = [str(i) for i in issues if i.file == "modules/help_contacts.yaml"]
    assert len(found) == 1 and expected in found[0], found
    # The line named is the one to fix: it holds the key (or, for a missing key, starts the contact).
    row = changed.splitlines()[int(found[0].split(":")[1]) - 1]
    key = expected.split(":")[0].split(".")[-1].split("[")[0]
    assert f"{key}:" in row or "- id:" in row, (found[0], row)


def test_the_layout_computes_the_lines_once_a_minute_with_the_same_answer():
    from training.main.help_lines import lines_this_minute

    def view(lines):
        return [(x.contact.id, x.state, x.label) for x in lines]

    # Every 12 min 1 s of a day, and the seconds around two openings (16:00, 15:00): the
    # minute's answer is the moment's own.
    moments = [at(WEEKDAY, 0) + dt.timedelta(seconds=721 * n) for n in range(120)]
    moments += [at(WEEKDAY, 16) + dt.timedelta(seconds=s) for s in (-61, -1, 0, 1, 59)]
    moments += [at(WEEKDAY, 15) + dt.timedelta(seconds=s) for s in (-1, 0)]
    for audience in ("teachers", "high_school", None):
        for moment in moments:
            assert view(lines_this_minute(CONTENT.contacts, audience, moment)) == \
                view(lines_for(CONTENT.contacts, audience, moment)), (audience, moment)
    first = lines_this_minute(CONTENT.contacts, "teachers", at(WEEKDAY, 10) + dt.timedelta(seconds=5))
    assert lines_this_minute(CONTENT.contacts, "teachers", at(WEEKDAY, 10) + dt.timedelta(seconds=50)) is first
    assert view(lines_this_minute(CONTENT.contacts, "teachers", at(WEEKDAY, 15) - dt.timedelta(seconds=1))) != \
        view(lines_this_minute(CONTENT.contacts, "teachers", at(WEEKDAY, 15)))  # hotline-line opens at 15:00
