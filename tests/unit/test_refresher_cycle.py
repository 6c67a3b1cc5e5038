"""training.learn.cycle.decide: since when a person's records count for a course (pure)."""
import datetime as dt

from training.dates import JST
from training.learn.cycle import decide


def at(year, month, day):
    return dt.datetime(year, month, day, tzinfo=JST)


NOW = at(2027, 6, 1)
APRIL = (at(2027, 4, 1), "2027年度 研修", frozenset({"counter-staff"}))


def test_no_class_asking_means_every_record_counts():
    assert decide([], {"counter-staff": at(2026, 6, 1)}, NOW) == {}
    # A class of another course, or a completion after the class's start: nothing asked again.
    other = (at(2027, 4, 1), "教員研修", frozenset({"teachers"}))
    assert decide([other], {"counter-staff": at(2026, 6, 1)}, NOW) == {}
    assert decide([APRIL], {"counter-staff": at(2027, 4, 1)}, NOW) == {}


def test_a_class_started_after_the_last_completion_asks_from_its_start():
    found = decide([APRIL], {"counter-staff": at(2026, 6, 1)}, NOW)["counter-staff"]
    assert found.since == at(2027, 4, 1) and found.previous == at(2026, 6, 1)
    assert found.classes == ("2027年度 研修",)
    assert found.previous_on == dt.date(2026, 6, 1) and found.since_on == dt.date(2027, 4, 1)


def test_the_earliest_start_counts_and_a_class_not_yet_started_does_not_ask():
    june = (at(2027, 5, 15), "2027年度 追加研修", frozenset({"counter-staff"}))
    later = (at(2027, 10, 1), "2027年度 秋の研修", frozenset({"counter-staff"}))
    found = decide([june, later, APRIL], {"counter-staff": at(2026, 6, 1)}, NOW)["counter-staff"]
    assert found.since == at(2027, 4, 1)
    assert found.classes == ("2027年度 研修", "2027年度 追加研修")
    # Completed in April for the first class: the class that started in May asks again.
    found = decide([june, later, APRIL], {"counter-staff": at(2027, 4, 20)}, NOW)["counter-staff"]
    assert found.since == at(2027, 5, 15) and found.classes == ("2027年度 追加研修",)
