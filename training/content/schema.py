"""The declared schema of every content file, and a validator that reports with lines.

Each spec validates a raw value (from the line-tracking YAML loader) and records every
problem as ``file:line: key.path: message``; validation never stops at the first problem.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from training.content.hours import HoursError, parse_closed, parse_rule
from training.content.issues import IssueList
from training.content.model import CONCERNS, CONTACT_KINDS, GENERAL  # noqa: F401 - CONCERNS re-exported
from training.content.yamlsource import LineDict, LineList

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: Lines of ../shared/seed/plan-ch4-compact.txt, which every `lines:` refers to.
PLAN_LINE_COUNT = 2877


@dataclass
class Ctx:
    """Where we are: the file being checked and the issue list."""

    file: str
    issues: IssueList

    def error(self, line: int, path: str, message: str) -> None:
        self.issues.add(self.file, line, path, message)


class Spec:
    def check(self, value, ctx: Ctx, path: str, line: int) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


class Text(Spec):
    """A non-empty string (numbers are not silently turned into text)."""

    def __init__(self, allow_empty: bool = False):
        self.allow_empty = allow_empty

    def check(self, value, ctx, path, line):
        if value is None and self.allow_empty:
            return True
        if not isinstance(value, str):
            ctx.error(line, path, f"文字列を書いてください（いまは {type(value).__name__}）")
            return False
        if not self.allow_empty and not value.strip():
            ctx.error(line, path, "空欄です")
            return False
        return True


class Id(Spec):
    def check(self, value, ctx, path, line):
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            ctx.error(line, path, f"id は半角英小文字・数字・ハイフンで書いてください: {value!r}")
            return False
        return True


class Int(Spec):
    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def check(self, value, ctx, path, line):
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.error(line, path, f"整数を書いてください: {value!r}")
            return False
        if not self.low <= value <= self.high:
            ctx.error(line, path, f"{self.low}〜{self.high} の範囲で書いてください: {value}")
            return False
        return True


class Bool(Spec):
    def check(self, value, ctx, path, line):
        if not isinstance(value, bool):
            ctx.error(line, path, f"true か false を書いてください: {value!r}")
            return False
        return True


class Date(Spec):
    def check(self, value, ctx, path, line):
        if not isinstance(value, dt.date):
            ctx.error(line, path, f"日付を YYYY-MM-DD で書いてください: {value!r}")
            return False
        return True


class OneOf(Spec):
    def __init__(self, *values: str):
        self.values = values

    def check(self, value, ctx, path, line):
        if value not in self.values:
            ctx.error(line, path, f"{' / '.join(self.values)} のどれかを書いてください: {value!r}")
            return False
        return True


class Lines(Spec):
    """A line range in the plan: ``96-113`` or a single line ``96``."""

    def check(self, value, ctx, path, line):
        parsed = parse_lines(value)
        if parsed is None:
            ctx.error(line, path, f"計画の行番号を 96-113 の形で書いてください: {value!r}")
            return False
        first, last = parsed
        if not 1 <= first <= last <= PLAN_LINE_COUNT:
            ctx.error(line, path, f"行番号は 1〜{PLAN_LINE_COUNT} の範囲で、前が後ろ以下です: {value!r}")
            return False
        return True


def parse_lines(value) -> tuple[int, int] | None:
    """``"96-113"`` -> (96, 113); ``96`` -> (96, 96); None if malformed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value, value
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+)\s*[-–〜~]\s*(\d+)\s*|\s*(\d+)\s*", value)
        if match:
            if match.group(3):
                return int(match.group(3)), int(match.group(3))
            return int(match.group(1)), int(match.group(2))
    return None


class Mapping(Spec):
    """Any mapping; its keys are checked by the caller (scenario nodes: decision or ending)."""

    def check(self, value, ctx, path, line):
        if not isinstance(value, dict):
            ctx.error(line, path, "「キー: 値」の形で書いてください")
            return False
        return True


class Any_(Spec):
    """Any value; checked elsewhere (answer keys depend on the question kind)."""

    def check(self, value, ctx, path, line):
        return True


@dataclass
class ListOf(Spec):
    item: Spec
    min: int = 0
    max: int | None = None
    unique: bool = False

    def check(self, value, ctx, path, line):
        if not isinstance(value, list):
            ctx.error(line, path, "一覧（- で始まる行、または [a, b]）で書いてください")
            return False
        ok = True
        if len(value) < self.min:
            ctx.error(line, path, f"{self.min} 個以上必要です（いまは {len(value)} 個）")
            ok = False
        if self.max is not None and len(value) > self.max:
            ctx.error(line, path, f"{self.max} 個までです（いまは {len(value)} 個）")
            ok = False
        seen = set()
        for index, item in enumerate(value):
            item_line = value.line_of(index) if isinstance(value, LineList) else line
            ok = self.item.check(item, ctx, f"{path}[{index}]", item_line) and ok
            if self.unique and isinstance(item, (str, int)):
                if item in seen:
                    ctx.error(item_line, f"{path}[{index}]", f"重複しています: {item}")
                    ok = False
                seen.add(item)
        return ok


@dataclass
class Obj(Spec):
    """A mapping with declared keys: required, optional, and nothing else."""

    required: dict[str, Spec]
    optional: dict[str, Spec] = field(default_factory=dict)

    def check(self, value, ctx, path, line):
        if not isinstance(value, dict):
            ctx.error(line, path, "「キー: 値」の形で書いてください")
            return False
        ok = True
        for key, key_line in getattr(value, "duplicates", []):
            ctx.error(key_line, _join(path, key), "同じキーが2回書かれています")
            ok = False
        value_line = value.line if isinstance(value, LineDict) else line
        for key, spec in self.required.items():
            if key not in value:
                ctx.error(value_line, _join(path, key), "必須の項目がありません")
                ok = False
            else:
                ok = spec.check(value[key], ctx, _join(path, key), _line(value, key, line)) and ok
        for key, spec in self.optional.items():
            if key in value and value[key] is not None:
                ok = spec.check(value[key], ctx, _join(path, key), _line(value, key, line)) and ok
        for key in value:
            if key not in self.required and key not in self.optional:
                ctx.error(_line(value, key, line), _join(path, str(key)), "知らない項目です（綴りを確認してください）")
                ok = False
        return ok


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _line(mapping, key, default: int) -> int:
    return mapping.line_of(key) if isinstance(mapping, LineDict) else default


class Variants(Spec):
    """A plain value, or variants chosen by the scenario's state (docs/content-authoring.md)::

        line:
          - when: "trust <= 1"
            text: 「別に、大丈夫です」
          - text: 「……正直、消えてしまいたいと思うことはあります」

    The item without ``when`` is the default and comes last; texts must have one, ``next``
    may leave it out when its conditions cover every state that reaches it (the checker proves
    that). The conditions themselves are checked against the declared state in scenario_state.
    """

    def __init__(self, plain: Spec, key: str, default_required: bool = True):
        self.plain, self.key, self.default_required = plain, key, default_required
        self.items = ListOf(Obj({key: plain}, {"when": Text()}), min=1)

    def check(self, value, ctx, path, line):
        if not isinstance(value, list):
            return self.plain.check(value, ctx, path, line)
        if not self.items.check(value, ctx, path, line):
            return False
        plain = [i for i, item in enumerate(value) if "when" not in item]
        misplaced = [i for i in plain if i != len(value) - 1]
        if misplaced:
            index = misplaced[0]
            ctx.error(value.line_of(index) if isinstance(value, LineList) else line, f"{path}[{index}]",
                      "条件（when）のない既定の項目は1つだけ、最後に書いてください")
            return False
        if self.default_required and not plain:
            ctx.error(line, path, f"条件（when）のない既定の {self.key} を最後に1つ書いてください")
            return False
        return True


# --- the declared schema of each file kind -------------------------------------------------

AUDIENCE = OneOf("residents", "teachers", "counter_staff", "counselors", "high_school")
SOURCE = Obj({}, {"plan": Text(), "lines": Lines(), "general": Text()})
CHOICE = Obj({"id": Id(), "text": Text()}, {"why": Text()})

MODULE_FRONT_MATTER = Obj(
    {
        "id": Id(), "title": Text(), "audiences": ListOf(AUDIENCE, min=1, unique=True),
        "minutes": Int(1, 180), "goals": ListOf(Text(), min=2, max=5),
        "key_points": ListOf(Text(), min=3, max=6), "sources": ListOf(SOURCE, min=1), "quiz": Id(),
    },
    {"checkin": Bool()},  # true: a check-in 「いまの気持ちは？」 at the module's end
)

QUESTION = Obj(
    {"id": Id(), "kind": OneOf("single", "multiple", "ordering", "matching"), "prompt": Text(),
     "answer": Any_(), "explanation": Text()},
    {"choices": ListOf(CHOICE, min=2, max=8), "items": ListOf(CHOICE, min=2, max=8),
     "options": ListOf(CHOICE, min=2, max=8), "objective": Id(),
     "audiences": ListOf(AUDIENCE, min=1, unique=True)},  # within its module's; checked in quiz_pools
)

#: A quiz objective: what some of its questions check, and the module sections that teach it
#: (linked from the result page when it was missed). References are checked in quiz_pools.
OBJECTIVE = Obj({"id": Id(), "label": Text(), "sections": ListOf(Id(), min=1, unique=True)})

QUIZ = Obj(
    {"id": Id(), "kind": OneOf("quiz"), "title": Text(), "sources": ListOf(SOURCE, min=1),
     "questions": ListOf(QUESTION, min=4)},
    {"draw": Int(4, 100), "objectives": ListOf(OBJECTIVE, min=1)},
)

SCENARIO_CHOICE = Obj(
    {"id": Id(), "text": Text(), "score": Int(0, 2), "reaction": Variants(Text(), "text"), "feedback": Text(),
     "next": Variants(Id(), "to", default_required=False)},
    {"effects": Mapping()},  # variable: change; checked against the declared state in scenario_state
)
DECISION_NODE = Obj(
    {"id": Id(), "situation": Variants(Text(), "text"), "line": Variants(Text(), "text"),
     "choices": ListOf(SCENARIO_CHOICE, min=3, max=4)},
)
ENDING_NODE = Obj(
    {"id": Id(), "ending": Bool(), "title": Variants(Text(), "text"), "summary": Variants(Text(), "text"),
     "connected_to": ListOf(Text())},
)
STATE_VAR = Obj({"label": Text(), "min": Int(-10, 10), "max": Int(-10, 10), "start": Int(-10, 10)},
                {"shown": Bool()})  # shown: false keeps a bookkeeping value off the trainee's screen
SCENARIO = Obj(
    {"id": Id(), "kind": OneOf("scenario"), "title": Text(), "audiences": ListOf(AUDIENCE, min=1, unique=True),
     "sources": ListOf(SOURCE, min=1), "setting": Text(), "person": Text(), "start": Id(),
     "nodes": ListOf(Mapping(), min=2)},  # each node is checked as a decision or an ending
    {"minutes": Int(1, 60), "state": Mapping()},  # each variable is checked as a STATE_VAR
)

COURSE = Obj(
    {"id": Id(), "title": Text(), "audience": AUDIENCE, "modules": ListOf(Id(), min=1, unique=True),
     "scenarios": ListOf(Id(), min=1, unique=True),
     "pass_rules": Obj({"quiz_pass_percent": Int(1, 100), "max_attempts": Int(0, 100)}),
     "certificate_title": Text()},
    {"validity_years": Int(1, 20), "description": Text(),
     # In-person sessions (issue 17): the role-play items the instructor ticks; ids checked unique
     # in training.content.checks.
     "roleplay": ListOf(Obj({"id": Id(), "label": Text()}), min=1, max=10)},
)
COURSES_FILE = Obj({"courses": ListOf(COURSE, min=1)})

class HoursRule(Spec):
    """One ``open`` rule (``毎日 16:00-21:00``) or ``closed`` date (``12/29-1/3``): see content/hours.py."""

    def __init__(self, parse):
        self.parse = parse

    def check(self, value, ctx, path, line):
        try:
            self.parse(value)
        except HoursError as problem:
            ctx.error(line, path, str(problem))
            return False
        return True


HOURS = Obj({"text": Text(allow_empty=True)},
            {"open": ListOf(HoursRule(parse_rule)), "closed": ListOf(HoursRule(parse_closed))})
CONTACT = Obj(
    {"id": Id(), "name": Text(), "kind": OneOf(*CONTACT_KINDS), "hours": HOURS,
     "source_url": Text(allow_empty=True), "found_on": Date()},
    {"number": Text(allow_empty=True), "url": Text(allow_empty=True), "source_note": Text(allow_empty=True),
     "audiences": ListOf(OneOf(GENERAL, *AUDIENCE.values), unique=True)},
)
CONTACTS_FILE = Obj({"emergency": Text(), "contacts": ListOf(CONTACT, min=1)})

DIRECTORY_ENTRY = Obj(
    {"id": Id(), "name": Text(), "department": Text(), "concerns": ListOf(OneOf(*CONCERNS), unique=True),
     "audiences": ListOf(Text()), "description": Text(), "source": Text()},
    {"lines": Lines(), "phone": Text(allow_empty=True), "address": Text(allow_empty=True),
     "hours": Text(allow_empty=True)},
)
DIRECTORY_FILE = Obj({"entries": ListOf(DIRECTORY_ENTRY, min=1)})

SURVEY_FILE = Obj(
    {
        "scale": ListOf(Text(), min=5, max=5),
        # How many items each course's audience answers is checked in survey_checks.
        "efficacy": ListOf(Obj({"id": Id(), "text": Text()},
                               {"audiences": ListOf(AUDIENCE, min=1, unique=True)}), min=1),
        "knowledge": ListOf(Obj({"id": Id(), "text": Text(), "answer": Bool()},
                                {"explanation": Text(), "audiences": ListOf(AUDIENCE, min=1, unique=True)}), min=1),
        "distress": Obj({"id": Id(), "text": Text(),
                         "options": ListOf(Obj({"id": Id(), "text": Text(), "show_help": Bool()}), min=2)},
                        # The audiences of a variant are checked against the courses in survey_checks.
                        {"help_text": Text(),
                         "variants": ListOf(Obj({"audiences": ListOf(AUDIENCE, min=1, unique=True), "text": Text()},
                                                {"help_text": Text()}), min=1)}),
    },
    {"license_note": Text()},
)
