"""The help panel on every page and /help, by audience and by the hour (issue 15).

The clock is frozen through ``FROZEN_NOW`` (training/clock.py, honoured only under TESTING).
"""
import datetime as dt
import re

import pytest

from training.dates import JST

WEEKDAY = dt.date(2026, 12, 1)   # a Tuesday
HOLIDAY = dt.date(2026, 11, 23)  # 勤労感謝の日

YOUTH = ["24時間子供SOSダイヤル", "相談ほっとLINE@東京", "チャイルドライン"]
GENERAL = ["よりそいホットライン", "東京いのちの電話", "東京都自殺相談ダイヤル"]


def panel(html: str) -> str:
    return html.split('class="help-panel"', 1)[1].split("</section>", 1)[0]


def panel_lines(html: str) -> list[tuple[str, str]]:
    """(name, state) of each line in the panel, in order."""
    return re.findall(r'<span class="help-panel__name">([^<]+)</span>\s*<span class="help-panel__state[^"]*">【([^】]+)】',
                      panel(html))


@pytest.fixture
def freeze(app):
    def set_clock(day: dt.date, hour: int, minute: int = 0):
        app.config["FROZEN_NOW"] = dt.datetime.combine(day, dt.time(hour, minute), JST)
    yield set_clock
    app.config.pop("FROZEN_NOW", None)


@pytest.mark.parametrize("day", [WEEKDAY, HOLIDAY], ids=["weekday", "holiday"])
@pytest.mark.parametrize("hour, minute, youth_states", [
    (0, 30, ["受付中", "本日15時から", "本日16時から"]),
    (15, 0, ["受付中", "受付中", "本日16時から"]),
    (23, 30, ["受付中", "明日15時から", "明日16時から"]),
])
def test_student_panel_leads_with_youth_lines_open_now(client, login_as, freeze, day, hour, minute, youth_states):
    login_as("trainee", audience="high_school")
    freeze(day, hour, minute)
    for path in ["/", "/help"]:
        html = client.get(path).get_data(as_text=True)
        lines = panel_lines(html)
        assert [next(y for y in YOUTH if y in name) for name, _ in lines] == YOUTH, lines
        assert [state for _, state in lines] == youth_states
        assert "高校生のみなさんへ" in panel(html)
        assert "119" in panel(html)  # emergencies first, always
    line_link = re.search(r'相談ほっとLINE@東京.*?<a href="([^"]+)"', panel(html), re.S).group(1)
    assert line_link.startswith("https://www.metro.tokyo.lg.jp/")  # a link, never a number


@pytest.mark.parametrize("day", [WEEKDAY, HOLIDAY], ids=["weekday", "holiday"])
@pytest.mark.parametrize("hour, minute", [(0, 30), (15, 0), (23, 30)])
@pytest.mark.parametrize("who", ["adult", "signed-out"])
def test_adult_and_signed_out_panels_show_general_lines_open_now(client, login_as, freeze, day, hour, minute, who):
    if who == "adult":
        login_as("trainee", audience="residents")
    freeze(day, hour, minute)
    html = client.get("/help" if who == "signed-out" else "/").get_data(as_text=True)
    lines = panel_lines(html)
    assert [next(g for g in GENERAL if g in name) for name, _ in lines] == GENERAL, lines
    assert all(state == "受付中" for _, state in lines)
    assert "チャイルドライン" not in panel(html) and "高校生のみなさんへ" not in panel(html)


@pytest.mark.parametrize("hour, minute, label", [(0, 30, "本日16時から"), (15, 0, "本日16時から"), (23, 30, "明日16時から")])
def test_help_page_marks_every_line(client, freeze, hour, minute, label):
    freeze(WEEKDAY, hour, minute)
    html = client.get("/help").get_data(as_text=True)
    card = html.split("自殺予防いのちの電話", 1)[1].split("</li>", 1)[0]
    assert label in card
    assert html.count("受付中") >= 3
    assert "確認日" not in html  # the ward has not verified the shipped lines yet


def test_year_end_childline_shows_when_it_opens_again(client, login_as, freeze):
    login_as("trainee", audience="high_school")
    freeze(dt.date(2026, 12, 28), 21, 30)
    lines = panel_lines(client.get("/").get_data(as_text=True))
    assert lines[0] == ("24時間子供SOSダイヤル", "受付中")
    assert ("チャイルドライン（18歳まで）", "1月4日16時から") in lines


def test_frozen_clock_only_under_testing(app):
    from training import clock
    app.config["FROZEN_NOW"] = dt.datetime(2020, 1, 1, tzinfo=JST)
    app.config["TESTING"] = False
    try:
        with app.app_context():
            assert clock.now().year >= 2026
    finally:
        app.config["TESTING"] = True
        app.config.pop("FROZEN_NOW")
