"""Moving through a branching scenario: choose, see the reaction, retry a moment, finish.

Plain functions over a small state (steps, current node, whether feedback is showing);
the routes keep that state in a ScenarioRun row.
"""
from __future__ import annotations

from dataclasses import dataclass

from training.content.model import Node, Scenario, ScenarioChoice


class StaleStep(ValueError):
    """The form was for another moment (double submit, back button): change nothing."""


@dataclass(frozen=True)
class RunState:
    steps: tuple[dict, ...]       # each {"node": id, "choice": id, "score": n}
    current: str                  # node to show next (after feedback: the choice's next)
    awaiting_feedback: bool


def start(scenario: Scenario) -> RunState:
    return RunState(steps=(), current=scenario.start, awaiting_feedback=False)


def choose(scenario: Scenario, state: RunState, node_id: str, choice_id: str, step: int) -> tuple[RunState, dict]:
    """Take a choice at the current node. ``step`` is the number of steps when the page was shown."""
    if state.awaiting_feedback or node_id != state.current or step != len(state.steps):
        raise StaleStep(node_id)
    node = scenario.node(node_id)
    choice = next((c for c in node.choices if c.id == choice_id), None) if node else None
    if node is None or node.ending or choice is None:
        raise KeyError(choice_id)
    entry = {"node": node.id, "choice": choice.id, "score": choice.score}
    return RunState(steps=state.steps + (entry,), current=choice.next, awaiting_feedback=True), entry


def retry(state: RunState, step: int) -> RunState:
    """この場面をやり直す: undo the last choice and show that moment again."""
    if not state.awaiting_feedback or step != len(state.steps) or not state.steps:
        raise StaleStep("retry")
    last = state.steps[-1]
    return RunState(steps=state.steps[:-1], current=last["node"], awaiting_feedback=False)


def proceed(state: RunState, step: int) -> RunState:
    """Leave the feedback and go on to the next node."""
    if not state.awaiting_feedback or step != len(state.steps):
        raise StaleStep("proceed")
    return RunState(steps=state.steps, current=state.current, awaiting_feedback=False)


def last_choice(scenario: Scenario, state: RunState) -> tuple[Node, ScenarioChoice] | None:
    if not state.steps:
        return None
    last = state.steps[-1]
    node = scenario.node(last["node"])
    return node, next(c for c in node.choices if c.id == last["choice"])


def score(state: RunState) -> int:
    return sum(s["score"] for s in state.steps)


@dataclass(frozen=True)
class Review:
    """For the ending page: moments that went well and moments to practise."""

    went_well: tuple[tuple[Node, ScenarioChoice], ...]
    to_practise: tuple[tuple[Node, ScenarioChoice, ScenarioChoice], ...]  # (node, chosen, best)


def review(scenario: Scenario, steps) -> Review:
    well, practise = [], []
    for step in steps:
        node = scenario.node(step["node"])
        if node is None:
            continue
        chosen = next((c for c in node.choices if c.id == step["choice"]), None)
        best = max(node.choices, key=lambda c: c.score)
        if chosen is None:
            continue
        if chosen.score >= best.score:
            well.append((node, chosen))
        else:
            practise.append((node, chosen, best))
    return Review(tuple(well), tuple(practise))
