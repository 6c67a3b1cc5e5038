"""Scenario paths, scores, retry and stale steps (plain functions)."""
import pytest

from training.content.model import Node, Scenario, ScenarioChoice
from training.learn import scenario_play as play


def _c(cid, score, nxt):
    return ScenarioChoice(cid, f"言葉{cid}", score, f"反応{cid}", f"解説{cid}", nxt)


SCENARIO = Scenario(
    id="s", title="場面", audiences=("residents",), sources=(), setting="設定", person="Aさん", start="n1",
    nodes=(
        Node("n1", "状況1", "「…」", (_c("a", 2, "n2"), _c("b", 0, "n1r"), _c("c", 1, "n2"))),
        Node("n1r", "状況1r", "「…」", (_c("a", 2, "n2"), _c("b", 0, "bad"), _c("c", 1, "n2"))),
        Node("n2", "状況2", "「…」", (_c("a", 2, "good"), _c("b", 0, "bad"), _c("c", 1, "good"))),
        Node("good", ending=True, title="つながった", summary="よかった", connected_to=("保健相談所",)),
        Node("bad", ending=True, title="つながらなかった", summary="次は", connected_to=()),
    ),
)


#: Options shown in content order, so positions read like the ids: 1 = a, 2 = b, 3 = c.
LAYOUT = {n.id: [c.id for c in n.choices] for n in SCENARIO.nodes if not n.ending}


def test_best_path_and_max_score():
    assert [n.id for n in SCENARIO.best_path()] == ["n1", "n2"]
    assert SCENARIO.max_score == 4


def test_choose_proceed_to_ending():
    state = play.start(SCENARIO)
    state, entry = play.choose(SCENARIO, state, LAYOUT, "n1", 1, 0)
    assert entry == {"node": "n1", "choice": "a", "score": 2}
    assert state.awaiting_feedback and state.current == "n2"
    node, choice = play.last_choice(SCENARIO, state)
    assert (node.id, choice.reaction) == ("n1", "反応a")
    state = play.proceed(state, 1)
    state, _ = play.choose(SCENARIO, state, LAYOUT, "n2", 3, 1)
    state = play.proceed(state, 2)
    assert SCENARIO.node(state.current).ending
    assert play.score(state) == 3


def test_retry_a_moment():
    state, _ = play.choose(SCENARIO, play.start(SCENARIO), LAYOUT, "n1", 2, 0)
    assert state.current == "n1r"
    state = play.retry(SCENARIO, state, 1)
    assert state.steps == () and state.current == "n1" and not state.awaiting_feedback
    state, _ = play.choose(SCENARIO, state, LAYOUT, "n1", 1, 0)
    assert play.score(state) == 2


@pytest.mark.parametrize("action", ["double-choose", "old-step", "wrong-node", "retry-without-feedback",
                                    "proceed-without-feedback"])
def test_stale_steps_change_nothing(action):
    state, _ = play.choose(SCENARIO, play.start(SCENARIO), LAYOUT, "n1", 1, 0)
    with pytest.raises(play.StaleStep):
        if action == "double-choose":
            play.choose(SCENARIO, state, LAYOUT, "n1", 1, 0)
        elif action == "old-step":
            play.proceed(state, 0)
        elif action == "wrong-node":
            play.choose(SCENARIO, play.proceed(state, 1), LAYOUT, "n1", 1, 1)
        elif action == "retry-without-feedback":
            play.retry(SCENARIO, play.proceed(state, 1), 1)
        else:
            play.proceed(play.proceed(state, 1), 1)


@pytest.mark.parametrize("position", [0, 4, -1, 99])
def test_a_position_out_of_range_is_refused(position):
    with pytest.raises(KeyError):
        play.choose(SCENARIO, play.start(SCENARIO), LAYOUT, "n1", position, 0)


def test_the_position_is_read_through_the_run_s_order():
    layout = {**LAYOUT, "n1": ["c", "a", "b"]}
    _state, entry = play.choose(SCENARIO, play.start(SCENARIO), layout, "n1", 1, 0)
    assert entry["choice"] == "c"


def test_review_lists_what_went_well_and_what_to_practise():
    steps = [{"node": "n1", "choice": "b", "score": 0}, {"node": "n1r", "choice": "a", "score": 2},
             {"node": "n2", "choice": "c", "score": 1}]
    review = play.review(SCENARIO, steps)
    assert [(m.node.id, m.chosen.id) for m in review.went_well] == [("n1r", "a")]
    assert [(m.node.id, m.chosen.id, m.best.id) for m in review.to_practise] == [("n1", "b", "a"), ("n2", "c", "a")]


def test_a_value_not_shown_is_remembered_but_never_metered():
    """``shown: false`` (issue 14): a bookkeeping value (whether the night line was handed over)
    steers the story, while the trainee watches only the person's trust."""
    from dataclasses import replace

    from training.content.model import StateVar

    choice = replace(_c("a", 2, "good"), effects=(("trust", 1), ("memo", 1)))
    scenario = replace(SCENARIO, state=(StateVar("trust", "Aさんの信頼", 0, 3, 1),
                                        StateVar("memo", "番号を手渡した", 0, 1, 0, shown=False)),
                       nodes=(Node("n1", "状況1", "「…」", (choice, _c("b", 0, "bad"), _c("c", 1, "good"))),
                              *SCENARIO.nodes[3:]))
    layout = {"n1": ["a", "b", "c"]}
    state, _entry = play.choose(scenario, play.start(scenario), layout, "n1", 1, 0)
    assert state.values == {"trust": 2, "memo": 1}
    assert [m.label for m in play.meters(scenario, state.values)] == ["Aさんの信頼"]
    assert [c.label for c in play.last_changes(scenario, state)] == ["Aさんの信頼"]
    assert [m.label for m in play.review(scenario, state.steps).meters] == ["Aさんの信頼"]
