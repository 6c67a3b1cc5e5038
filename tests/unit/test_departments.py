"""Department names compared loosely, and which department a fiscal year belongs to."""
from training.departments import Span, close_matches, display_name, in_year, name_key


def test_names_match_whatever_the_separator_or_width():
    forms = ["区民部 収納課", "区民部,収納課", "区民部　収納課", "区民部、収納課", " 区民部収納課 ", "区民部・収納課"]
    assert {name_key(f) for f in forms} == {"区民部収納課"}
    assert display_name("区民部,収納課") == display_name("区民部　 収納課") == "区民部 収納課"
    assert name_key("ＩＴ推進課") == name_key("it推進課")     # NFKC and case
    assert name_key("区民部 収納課") != name_key("区民部 税務課")


def test_close_matches_suggest_the_likely_department():
    names = ["区民部 収納課", "区民部 税務課", "健康部 保健予防課"]
    assert close_matches("区民部 収能課", names)[0] == "区民部 収納課"
    assert close_matches("まったく別の名前", names) == []


# 1: 収納課 to FY2026, renamed to 2: 納付推進課 from FY2027.
# 3: 税務課 and 4: 課税課 to FY2026, merged into 5: 税務課 from FY2027.
# 6: 保健予防課 to FY2026, split into 7 and 8 from FY2027.
SPANS = {1: Span(1, None, 2026), 2: Span(2, 2027, None), 3: Span(3, 2020, 2026), 4: Span(4, None, 2026),
         5: Span(5, 2027, None), 6: Span(6, None, 2026), 7: Span(7, 2027, None), 8: Span(8, 2027, 2028),
         9: Span(9, 2029, None)}
SUCCESSORS = {1: [2], 3: [5], 4: [5], 6: [7, 8], 8: [9]}
PREDECESSORS = {2: [1], 5: [3, 4], 7: [6], 8: [6], 9: [8]}


def test_a_department_is_itself_while_valid():
    assert in_year(1, 2026, SPANS, SUCCESSORS) == [1]
    assert in_year(3, 2020, SPANS, SUCCESSORS) == [3]


def test_rename_merge_and_split_lead_to_their_successors():
    assert in_year(1, 2027, SPANS, SUCCESSORS) == [2]          # rename
    assert in_year(3, 2030, SPANS, SUCCESSORS) == [5]          # merge
    assert in_year(4, 2027, SPANS, SUCCESSORS) == [5]
    assert in_year(6, 2027, SPANS, SUCCESSORS) == [7, 8]       # split
    assert in_year(6, 2029, SPANS, SUCCESSORS) == [7, 9]       # a split part renamed later


def test_earlier_years_lead_back_to_predecessors_only_when_asked():
    assert in_year(5, 2026, SPANS, SUCCESSORS) == []
    assert in_year(5, 2026, SPANS, SUCCESSORS, PREDECESSORS) == [3, 4]
    assert in_year(2, 2019, SPANS, SUCCESSORS, PREDECESSORS) == [1]
    assert in_year(3, 2019, SPANS, SUCCESSORS, PREDECESSORS) == []   # before it existed, no predecessor
    assert in_year(99, 2026, SPANS, SUCCESSORS) == []
