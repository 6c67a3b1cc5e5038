"""Moving through a branching scenario: choose, see the reaction, retry a moment, finish.

Plain functions over a small state (steps, current node, whether feedback is showing, the
values the scenario remembers) and the run's layout (the order each decision's options are
shown in); the routes keep both in a ScenarioRun row.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from training.content.model import Node, Scenario, ScenarioChoice


class StaleStep(ValueError):
    """The form was for another moment (double submit, back button): change nothing."""


class BrokenRun(ValueError):
    """The stored run does not fit the scenario (an order or a value out of range): refuse it."""


@dataclass(frozen=True)
class RunState:
    steps: tuple[dict, ...]       # each {"node": id, "choice": id, "score": n[, "state": values after]}
    current: str                  # node to show next (after feedback: the choice's next)
    awaiting_feedback: bool
    values: dict = field(default_factory=dict)  # what the scenario remembers, e.g. {"trust": 2}


def start(scenario: Scenario) -> RunState:
    return RunState(steps=(), current=scenario.start, awaiting_feedback=False, values=scenario.start_values())


def draw_layout(scenario: Scenario, rng: random.Random) -> dict[str, list[str]]:
    """A fresh order of the options of every decision, for one run."""
    layout = {}
    for node in scenario.nodes:
        if not node.ending:
            order = [c.id for c in node.choices]
            rng.shuffle(order)
            layout[node.id] = order
    return layout


def _check_values(scenario: Scenario, values) -> None:
    if not isinstance(values, dict) or set(values) != {var.name for var in scenario.state}:
        raise BrokenRun("state")
    for var in scenario.state:
        value = values[var.name]
        if isinstance(value, bool) or not isinstance(value, int) or not var.low <= value <= var.high:
            raise BrokenRun(var.name)


def check_run(scenario: Scenario, layout, values, steps=()) -> None:
    """Raise BrokenRun unless ``layout`` orders every decision's options, ``values`` (and the values
    each step kept, which a retry goes back to) are in range, and each step names a real choice."""
    if not isinstance(layout, dict):
        raise BrokenRun("layout")
    for node in scenario.nodes:
        order = layout.get(node.id)
        if not node.ending and (not isinstance(order, list) or sorted(map(str, order)) != sorted(c.id for c in node.choices)):
            raise BrokenRun(node.id)
    _check_values(scenario, values)
    for step in steps:
        node = scenario.node(step.get("node")) if isinstance(step, dict) else None
        if node is None or not any(c.id == step.get("choice") for c in node.choices):
            raise BrokenRun("step")
        if scenario.state:
            _check_values(scenario, step.get("state"))


def options(node: Node, layout: dict) -> list[ScenarioChoice]:
    """The node's options in the order this run shows them."""
    by_id = {c.id: c for c in node.choices}
    return [by_id[cid] for cid in layout.get(node.id, ())]


def choose(scenario: Scenario, state: RunState, layout: dict, node_id: str, position: int, step: int
           ) -> tuple[RunState, dict]:
    """Take the option shown at ``position`` (1-based) at the current node.

    ``step`` is the number of steps when the page was shown; a form for another moment is stale.
    """
    if state.awaiting_feedback or node_id != state.current or step != len(state.steps):
        raise StaleStep(node_id)
    node = scenario.node(node_id)
    shown = options(node, layout) if node is not None and not node.ending else []
    if not 1 <= position <= len(shown):
        raise KeyError(position)
    choice = shown[position - 1]
    values = scenario.after(state.values, choice)
    target = choice.next_for(values)
    if not target:
        raise KeyError(position)  # the checker rules this out; never store a run that cannot go on
    entry = {"node": node.id, "choice": choice.id, "score": choice.score}
    if scenario.state:
        entry["state"] = values
    return RunState(steps=state.steps + (entry,), current=target, awaiting_feedback=True, values=values), entry


def values_before(scenario: Scenario, steps, index: int) -> dict:
    """The remembered values when step ``index`` was taken (the start values for the first)."""
    if index > 0 and isinstance(steps[index - 1].get("state"), dict):
        return dict(steps[index - 1]["state"])
    return scenario.start_values()


def retry(scenario: Scenario, state: RunState, step: int) -> RunState:
    """この場面をやり直す: undo the last choice, its effects included, and show that moment again."""
    if not state.awaiting_feedback or step != len(state.steps) or not state.steps:
        raise StaleStep("retry")
    last = state.steps[-1]
    return RunState(steps=state.steps[:-1], current=last["node"], awaiting_feedback=False,
                    values=values_before(scenario, state.steps, len(state.steps) - 1))


def proceed(state: RunState, step: int) -> RunState:
    """Leave the feedback and go on to the next node."""
    if not state.awaiting_feedback or step != len(state.steps):
        raise StaleStep("proceed")
    return RunState(steps=state.steps, current=state.current, awaiting_feedback=False, values=state.values)


def last_choice(scenario: Scenario, state: RunState) -> tuple[Node, ScenarioChoice] | None:
    if not state.steps:
        return None
    last = state.steps[-1]
    node = scenario.node(last["node"])
    return node, next(c for c in node.choices if c.id == last["choice"])


def score(state: RunState) -> int:
    return sum(s["score"] for s in state.steps)


def max_score(scenario: Scenario, state: RunState) -> int:
    """The most the moments actually met could have scored (the best option at each).

    Scored against the path taken, not the best path: a slip followed by a repair moment
    adds a moment, so slip-and-recover ends below 100% (a recovered slip is not free), and no
    detour can score more than 100%.
    """
    total = 0
    for step in state.steps:
        node = scenario.node(step["node"])
        if node is not None and node.choices:
            total += max(c.score for c in node.choices)
    return total


@dataclass(frozen=True)
class Change:
    """How one remembered value moved with a choice, said in words (not only a number)."""

    label: str
    before: int
    after: int
    low: int
    high: int

    @property
    def words(self) -> str:
        if self.after > self.before:
            return "上がりました"
        if self.after < self.before:
            return "下がりました"
        return "変わりませんでした"


@dataclass(frozen=True)
class Meter:
    """A remembered value for the page: its label, where it stands and the range."""

    label: str
    value: int
    low: int
    high: int

    @property
    def filled(self) -> int:
        return self.value - self.low

    @property
    def steps(self) -> int:
        return self.high - self.low


def meters(scenario: Scenario, values) -> list[Meter]:
    """The values the trainee watches (``shown: false`` ones stay the story's own memory)."""
    return [Meter(v.label, values.get(v.name, v.start), v.low, v.high) for v in scenario.state if v.shown]


def changes(scenario: Scenario, before, after, choice: ScenarioChoice) -> list[Change]:
    """The values this choice meant to change (shown even when already at the end of the range)."""
    meant = {name for name, _ in choice.effects}
    return [Change(v.label, before.get(v.name, v.start), after.get(v.name, v.start), v.low, v.high)
            for v in scenario.state if v.name in meant and v.shown]


def last_changes(scenario: Scenario, state: RunState) -> list[Change]:
    """For the feedback after the last choice."""
    found = last_choice(scenario, state)
    if found is None:
        return []
    return changes(scenario, values_before(scenario, state.steps, len(state.steps) - 1), state.values, found[1])


@dataclass(frozen=True)
class Moment:
    """One step of the run for the ending review, as the trainee saw it."""

    node: Node
    line: str
    chosen: ScenarioChoice
    best: ScenarioChoice
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Review:
    """For the ending page: moments that went well, moments to practise, and where the state ended."""

    went_well: tuple[Moment, ...]
    to_practise: tuple[Moment, ...]
    values: dict = field(default_factory=dict)
    meters: tuple[Meter, ...] = ()


def review(scenario: Scenario, steps) -> Review:
    well, practise = [], []
    values = scenario.start_values()
    for index, step in enumerate(steps):
        node = scenario.node(step["node"])
        if node is None:
            continue
        chosen = next((c for c in node.choices if c.id == step["choice"]), None)
        if chosen is None:
            continue
        before = values_before(scenario, steps, index)
        values = dict(step["state"]) if isinstance(step.get("state"), dict) else scenario.after(before, chosen)
        best = max(node.choices, key=lambda c: c.score)
        moment = Moment(node, node.text_for("line", before), chosen, best,
                        tuple(changes(scenario, before, values, chosen)))
        (well if chosen.score >= best.score else practise).append(moment)
    return Review(tuple(well), tuple(practise), values, tuple(meters(scenario, values)))
