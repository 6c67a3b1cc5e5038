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


def test_best_path_and_max_score():
    assert [n.id for n in SCENARIO.best_path()] == ["n1", "n2"]
    assert SCENARIO.max_score == 4


def test_choose_proceed_to_ending():
    state = play.start(SCENARIO)
    state, entry = play.choose(SCENARIO, state, "n1", "a", 0)
    assert entry == {"node": "n1", "choice": "a", "score": 2}
    assert state.awaiting_feedback and state.current == "n2"
    node, choice = play.last_choice(SCENARIO, state)
    assert (node.id, choice.reaction) == ("n1", "反応a")
    state = play.proceed(state, 1)
    state, _ = play.choose(SCENARIO, state, "n2", "c", 1)
    state = play.proceed(state, 2)
    assert SCENARIO.node(state.current).ending
    assert play.score(state) == 3


def test_retry_a_moment():
    state, _ = play.choose(SCENARIO, play.start(SCENARIO), "n1", "b", 0)
    assert state.current == "n1r"
    state = play.retry(state, 1)
    assert state.steps == () and state.current == "n1" and not state.awaiting_feedback
    state, _ = play.choose(SCENARIO, state, "n1", "a", 0)
    assert play.score(state) == 2


@pytest.mark.parametrize("action", ["double-choose", "old-step", "wrong-node", "retry-without-feedback",
                                    "proceed-without-feedback"])
def test_stale_steps_change_nothing(action):
    state, _ = play.choose(SCENARIO, play.start(SCENARIO), "n1", "a", 0)
    with pytest.raises(play.StaleStep):
        if action == "double-choose":
            play.choose(SCENARIO, state, "n1", "a", 0)
        elif action == "old-step":
            play.proceed(state, 0)
        elif action == "wrong-node":
            play.choose(SCENARIO, play.proceed(state, 1), "n1", "a", 1)
        elif action == "retry-without-feedback":
            play.retry(play.proceed(state, 1), 1)
        else:
            play.proceed(play.proceed(state, 1), 1)


def test_unknown_choice_is_refused():
    with pytest.raises(KeyError):
        play.choose(SCENARIO, play.start(SCENARIO), "n1", "zz", 0)


def test_review_lists_what_went_well_and_what_to_practise():
    steps = [{"node": "n1", "choice": "b", "score": 0}, {"node": "n1r", "choice": "a", "score": 2},
             {"node": "n2", "choice": "c", "score": 1}]
    review = play.review(SCENARIO, steps)
    assert [(n.id, c.id) for n, c in review.went_well] == [("n1r", "a")]
    assert [(n.id, c.id, b.id) for n, c, b in review.to_practise] == [("n1", "b", "a"), ("n2", "c", "a")]
