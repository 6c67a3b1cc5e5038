"""The pre/post survey change, like with like: per item, the answers of the same people before
and after the course (paired), with n.

Each course's audience answers its own items (``Survey.for_audience``), so a report is made per
course. A person counts for an item only when both their pre- and post-survey hold an answer to
that very item: a pre-survey answered on other items (an older content version) is left out of
that item, never compared with a different one.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from training.content.model import Survey, SurveyItem


@dataclass(frozen=True)
class ItemChange:
    item: SurveyItem
    kind: str              # efficacy (mean of 1–5) | knowledge (share answering correctly, %)
    n: int                 # people who answered the item both before and after
    pre: float | None
    post: float | None

    @property
    def text(self) -> str:
        return self.item.text

    @property
    def change(self) -> float | None:
        if self.pre is None or self.post is None:
            return None
        return round(self.post - self.pre, 2)


def _mean(values: list) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def paired_change(pairs: Iterable[tuple[dict, dict]], survey: Survey) -> list[ItemChange]:
    """Per item of ``survey`` (efficacy, then knowledge), the change over ``pairs``, each the
    (pre answers, post answers) of one person as stored in SurveyResponse.answers."""
    pairs = list(pairs)
    changes = []
    for item in survey.efficacy:
        both = [(pre["efficacy"][item.id], post["efficacy"][item.id]) for pre, post in pairs
                if item.id in pre.get("efficacy", {}) and item.id in post.get("efficacy", {})]
        changes.append(ItemChange(item, "efficacy", len(both), _mean([b for b, _ in both]),
                                  _mean([a for _, a in both])))
    for item in survey.knowledge:
        expected = "true" if item.answer else "false"
        both = [(pre["knowledge"][item.id], post["knowledge"][item.id]) for pre, post in pairs
                if item.id in pre.get("knowledge", {}) and item.id in post.get("knowledge", {})]
        shares = [round(100 * sum(answer == expected for answer in side) / len(both), 1) if both else None
                  for side in zip(*both)] if both else [None, None]
        changes.append(ItemChange(item, "knowledge", len(both), *shares))
    return changes
