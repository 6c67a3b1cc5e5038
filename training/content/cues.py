"""Answer cues: patterns that let a test-wise trainee pick the right option without learning.

Six rules, each an error with file:line (see docs/content-authoring.md, 「選択肢の手がかり」):

``best-longest``     the best option is the longest at more than 35% of a scenario's decision
                     points, or of a quiz file's single-choice questions;
``best-rank``        the best option holds one other length rank (2nd longest, 3rd longest, …,
                     shortest, 2nd shortest) at more than 40% of the decision points or
                     single-choice questions: written not to be the longest, it must not
                     become "the second longest" instead;
``best-ratio``       the best option's length, averaged over a scenario's decision points, is
                     more than 1.2 times the average length of all its other options;
``option-length``    a scenario option longer than 60 characters;
``near-miss``        a decision point with no partly-right option (a score strictly between the
                     node's lowest and highest);
``answer-position``  in a quiz file, one answer position (1st, 2nd, … choice as written) holds
                     more than 40% of the single-choice keys.

Decisions, so that authors and reviewers count the same way:

- Length is the number of characters after removing white space (including the full-width
  space) and the quotation brackets 「」『』: many options are quoted speech and others are an
  action without quotes, and the brackets should not make one kind look longer.
- "The longest" includes ties: an option as long as the longest counts as longest, because a
  trainee who picks the longest finds the answer just as well.
- "The best" is every option with the node's highest score (for quizzes: the keyed choice).
- One instance is never a pattern: a share rule fires only when at least two questions or
  points show it (this matters only for files with one or two single-choice questions, where
  one key would otherwise already be 50% or 100%).
- Per-point rules point at the node's line (``- id: …``); ``option-length`` at the option's
  ``text:`` line; aggregate rules at the file's top ``id:`` line.
- Only options, scores and answer keys are read, so optional question pools and scenario state
  do not change what the rules see; parts that failed the schema are skipped (their problems
  are already reported).

Every file meets every rule: the allowance that excused the content written before the rules
(issue 13) was emptied and removed when issue 14 rewrote that content.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from training.content import model
from training.content.issues import IssueList

LONGEST_SHARE = 0.35
LENGTH_RATIO = 1.2
OPTION_MAX_CHARS = 60
POSITION_SHARE = 0.40
RANK_SHARE = 0.40
RULES = ("best-longest", "best-rank", "best-ratio", "option-length", "near-miss", "answer-position")

_NOT_COUNTED = re.compile(r"[\s「」『』]")

def measure(text: str) -> int:
    """An option's length as the rules count it: characters, without spaces and 「」『』."""
    return len(_NOT_COUNTED.sub("", text))


@dataclass(frozen=True)
class Cue:
    """One broken rule: which, where (line and key path), and what to do about it."""

    rule: str
    line: int
    path: str
    message: str


def _share_broken(count: int, total: int, share: float) -> bool:
    return count >= 2 and count > share * total


def _percent(count: int, total: int) -> str:
    return f"{round(100 * count / total)}%" if total else "0%"


def _is_longest(best: list[str], texts: list[str]) -> bool:
    longest = max(measure(t) for t in texts)
    return any(measure(t) == longest for t in best)


def _ranks(best: str, texts: list[str]) -> tuple[int, int]:
    """The best option's length rank from the top (1 = longest) and from the bottom (1 = shortest);
    ties share the better place, as for best-longest."""
    length, lengths = measure(best), [measure(t) for t in texts]
    return 1 + sum(n > length for n in lengths), 1 + sum(n < length for n in lengths)


def _rank_cues(ranks: list[tuple[int, int]], top_line: int, path: str, unit: str) -> list[Cue]:
    """best-rank: any length rank but the longest (that is best-longest's) held too often. With
    several ranks to spread over, a pattern takes three instances (two may be chance)."""
    total, cues = len(ranks), []
    tops = Counter(t for t, _ in ranks if t > 1)
    bottoms = Counter(b for _, b in ranks)
    named = [(count, f"{rank}番目に長い") for rank, count in tops.items()] + [
        (count, "いちばん短い" if rank == 1 else f"{rank}番目に短い") for rank, count in bottoms.items()]
    for count, name in sorted(named, key=lambda x: -x[0]):  # stable: ranks from the top first
        if count >= 3 and _share_broken(count, total, RANK_SHARE):
            cues.append(Cue("best-rank", top_line, path,
                            f"最もよい選択肢が「{name}」{unit}が {total} 個中 {count} 個です"
                            f"（{_percent(count, total)}、{round(100 * RANK_SHARE)}% まで）。"
                            "長さの順位でも正解がわからないよう、ほかの選択肢の長さを変えてください"))
            break  # one message per file: fixing the worst rank moves the others
    return cues


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _decision_parts(scenario: model.Scenario, raw, valid: set[int]):
    """(node, raw node, line) for each schema-valid decision node, matched by id (a duplicated
    id is reported elsewhere; its first occurrence stands for it here)."""
    raw_nodes = raw.get("nodes") if isinstance(raw, dict) else None
    if not isinstance(raw_nodes, list):
        return []
    first: dict[str, int] = {}
    for index, part in enumerate(raw_nodes):
        if isinstance(part, dict):
            first.setdefault(part.get("id"), index)
    points, seen = [], set()
    for node in scenario.nodes:
        index = first.get(node.id)
        if index in valid and node.id not in seen and not node.ending and node.choices:
            points.append((node, raw_nodes[index], raw_nodes.line_of(index)))
        seen.add(node.id)
    return points


def scenario_cues(scenario: model.Scenario, raw, valid: set[int]) -> list[Cue]:
    """Every cue in one scenario file."""
    cues: list[Cue] = []
    longest_at, best_lengths, other_lengths, ranks = [], [], [], []
    points = _decision_parts(scenario, raw, valid)
    for node, part, node_line in points:
        scores = [c.score for c in node.choices]
        high, low = max(scores), min(scores)
        best = [c.text for c in node.choices if c.score == high]
        others = [c.text for c in node.choices if c.score != high]
        if _is_longest(best, [c.text for c in node.choices]):
            longest_at.append(node.id)
        ranks.append(_ranks(best[0], [c.text for c in node.choices]))
        best_lengths.append(_mean([measure(t) for t in best]))
        other_lengths += [measure(t) for t in others]
        if not any(low < s < high for s in scores):
            cues.append(Cue("near-miss", node_line, f"nodes.{node.id}.choices",
                            f"部分的に正しい選択肢（score が {low} と {high} のあいだ）がありません。"
                            "今は違うけれど優しく聞こえる「惜しい」選択肢を1つ入れてください"))
        raw_choices = part.get("choices") if isinstance(part.get("choices"), list) else []
        for index, choice in enumerate(node.choices):
            length = measure(choice.text)
            if length > OPTION_MAX_CHARS:
                raw_choice = raw_choices[index] if index < len(raw_choices) else None
                line = raw_choice.line_of("text") if isinstance(raw_choice, dict) else node_line
                cues.append(Cue("option-length", line, f"nodes.{node.id}.choices.{choice.id}.text",
                                f"選択肢が {length} 文字です（{OPTION_MAX_CHARS} 文字まで）。"
                                "ひとことで言える1つの発言にし、理由は feedback に書いてください"))
    top = raw.line_of("id") if isinstance(raw, dict) else 1
    total = len(points)
    if _share_broken(len(longest_at), total, LONGEST_SHARE):
        cues.append(Cue("best-longest", top, "nodes",
                        f"最もよい選択肢がいちばん長い判断の場面が {total} 個中 {len(longest_at)} 個です"
                        f"（{_percent(len(longest_at), total)}、{round(100 * LONGEST_SHARE)}% まで）: "
                        f"{', '.join(longest_at[:6])}{' …' if len(longest_at) > 6 else ''}"))
    cues += _rank_cues(ranks, top, "nodes", "判断の場面")
    best_mean, other_mean = _mean(best_lengths), _mean(other_lengths)
    if other_mean and best_mean > LENGTH_RATIO * other_mean:
        cues.append(Cue("best-ratio", top, "nodes",
                        f"最もよい選択肢の長さが、ほかの選択肢の平均の {best_mean / other_mean:.1f} 倍です"
                        f"（{LENGTH_RATIO} 倍まで）。長さで正解がわからないようにしてください"))
    return cues


def quiz_cues(quiz: model.Quiz, raw, valid: set[int]) -> list[Cue]:
    """Every cue in one check-quiz file (single-choice questions only)."""
    raw_questions = raw.get("questions") if isinstance(raw, dict) else None
    if not isinstance(raw_questions, list):
        return []
    dict_indexes = [i for i, p in enumerate(raw_questions) if isinstance(p, dict)]
    longest_at, positions, ranks = [], [], []
    for question, index in zip(quiz.questions, dict_indexes):
        ids = [c.id for c in question.choices]
        if index not in valid or question.kind != "single" or question.answer not in ids:
            continue  # a broken key is reported by the answer check
        key = next(c for c in question.choices if c.id == question.answer)
        positions.append(ids.index(question.answer))
        ranks.append(_ranks(key.text, [c.text for c in question.choices]))
        if _is_longest([key.text], [c.text for c in question.choices]):
            longest_at.append(question.id)
    cues: list[Cue] = []
    top = raw.line_of("id")
    total = len(positions)
    if _share_broken(len(longest_at), total, LONGEST_SHARE):
        cues.append(Cue("best-longest", top, "questions",
                        f"正解がいちばん長い選択肢の単一選択問題が {total} 問中 {len(longest_at)} 問です"
                        f"（{_percent(len(longest_at), total)}、{round(100 * LONGEST_SHARE)}% まで）: "
                        f"{', '.join(longest_at[:6])}{' …' if len(longest_at) > 6 else ''}"))
    cues += _rank_cues(ranks, top, "questions", "単一選択問題")
    if positions:
        position, count = Counter(positions).most_common(1)[0]
        if _share_broken(count, total, POSITION_SHARE):
            cues.append(Cue("answer-position", top, "questions",
                            f"単一選択問題 {total} 問のうち {count} 問の正解が {position + 1} 番目の選択肢です"
                            f"（{_percent(count, total)}、{round(100 * POSITION_SHARE)}% まで）。"
                            "正解の位置を散らしてください"))
    return cues


def check_cues(issues: IssueList, quizzes, quiz_raw) -> None:
    """Report every cue as an error, with its file and line."""
    for quiz in quizzes:
        file, raw, valid = quiz_raw[quiz.id]
        if isinstance(quiz, model.Scenario):
            cues = scenario_cues(quiz, raw, valid)
        else:
            cues = quiz_cues(quiz, raw, valid)
        for cue in cues:
            issues.add(file, cue.line, cue.path, f"{cue.message} [{cue.rule}]")
