"""The dashboard's chart geometry (issue 17): bars on the busiest month's scale, the target apart."""
import datetime as dt

import pytest

from training.records.dashboard import MONTHS, Dashboard, chart, months_begun, nice_top


@pytest.mark.parametrize(("value", "top"), [(0, 4), (1, 4), (4, 4), (5, 5), (6, 10), (11, 20), (21, 25),
                                            (26, 40), (51, 100), (350, 400)])
def test_nice_top(value, top):
    assert nice_top(value) == top


def _board(counts: dict[int, int], target: int = 350) -> Dashboard:
    cumulative, by_month = 0, []
    for month in MONTHS:
        cumulative += counts.get(month, 0)
        by_month.append((month, counts.get(month, 0), cumulative))
    return Dashboard(2026, target, cumulative, cumulative, [], [], by_month, [], [])


def test_bars_follow_the_busiest_month_and_the_line_the_target():
    geometry = chart(_board({5: 20, 6: 1, 9: 200}), through=7)
    plot = geometry["bottom"] - geometry["top"]
    bars = {b["month"]: b for b in geometry["bars"]}
    assert geometry["bar_top"] == 200 and bars[9]["h"] == plot
    assert bars[6]["h"] == 3 and bars[6]["count"] == 1  # one person of 200 is still a visible bar
    assert bars[5]["h"] == round(plot * 20 / 200, 1) and bars[7]["h"] == 0
    assert geometry["line_top"] == 350 and geometry["last"][2] == 221  # April to October
    assert len(geometry["line"].split()) == 7
    assert geometry["target_y"] == geometry["top"]


@pytest.mark.parametrize(("today", "months"), [(dt.date(2026, 4, 1), 1), (dt.date(2026, 12, 1), 9),
                                               (dt.date(2027, 3, 31), 12), (dt.date(2027, 4, 1), 12),
                                               (dt.date(2026, 3, 31), 0)])
def test_months_begun(today, months):
    assert months_begun(2026, today) == months
