"""Course content as frozen dataclasses: parsed once, shared by every request, never changed."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from training.content.conditions import Condition
from training.content.hours import Hours


@dataclass(frozen=True)
class Source:
    """A citation: a plan section with its lines in plan-ch4-compact.txt, or general knowledge."""

    plan: str = ""
    lines: tuple[int, int] | None = None
    general: str = ""

    @property
    def label(self) -> str:
        if self.plan:
            return f"練馬区自殺対策計画 第4章 {self.plan}"
        return self.general


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    text: str                      # Markdown source
    html: str                      # rendered (no raw HTML allowed in the source)
    audiences: tuple[str, ...] = ()  # empty: every audience of the module
    line: int = field(default=1, compare=False)  # where the heading is, for messages
    checkin: bool = False          # the check-in 「いまの気持ちは？」 follows this section

    def shown_to(self, audience: str) -> bool:
        return not self.audiences or audience in self.audiences


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    audiences: tuple[str, ...]
    minutes: int
    goals: tuple[str, ...]
    key_points: tuple[str, ...]
    sources: tuple[Source, ...]
    quiz: str
    sections: tuple[Section, ...]
    version: str = ""
    checkin: bool = False          # a check-in at the module's end (after its last section)
    _views: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def sections_for(self, audience: str) -> tuple[Section, ...]:
        """The sections a trainee of ``audience`` reads, in order (computed once per audience)."""
        view = self._views.get(audience)
        if view is None:
            view = self._views[audience] = tuple(s for s in self.sections if s.shown_to(audience))
        return view


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    why: str = ""


@dataclass(frozen=True)
class Question:
    """single: answer is a choice id; multiple: a tuple of ids; ordering: ids in order;
    matching: pairs (item id, option id)."""

    id: str
    kind: str
    prompt: str
    explanation: str
    choices: tuple[Choice, ...] = ()
    items: tuple[Choice, ...] = ()
    options: tuple[Choice, ...] = ()
    answer: object = None
    objective: str = ""            # the quiz objective it tests ("" when the quiz declares none)
    audiences: tuple[str, ...] = ()  # the courses' audiences it is asked to (empty: every audience)

    def asked_to(self, audience: str) -> bool:
        return not self.audiences or audience in self.audiences

    @property
    def answer_map(self) -> dict[str, str]:
        """For matching questions: item id -> option id."""
        return dict(self.answer) if self.kind == "matching" else {}


@dataclass(frozen=True)
class Objective:
    """What a group of a quiz's questions checks, and the sections of its module that teach it."""

    id: str
    label: str
    sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Quiz:
    """A check quiz. With ``draw`` it is a pool: each attempt asks ``draw`` of its questions,
    covering every objective; without, every question is asked."""

    id: str
    title: str
    sources: tuple[Source, ...]
    questions: tuple[Question, ...]
    kind: str = "quiz"
    version: str = ""
    draw: int = 0                  # 0: ask every question
    objectives: tuple[Objective, ...] = ()

    @property
    def asks(self) -> int:
        """How many questions one attempt asks."""
        return min(self.draw, len(self.questions)) if self.draw else len(self.questions)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def for_audience(self, audience: str) -> Quiz:
        """The quiz as one audience's course asks it: only the questions meant for that audience
        (a core module's quiz tests a teacher on schools, not on tax arrears). Drawing uses this;
        grading and review use the whole quiz, since a stored layout names its questions."""
        questions = tuple(q for q in self.questions if q.asked_to(audience))
        return self if len(questions) == len(self.questions) else replace(self, questions=questions)

    def objective(self, objective_id: str) -> Objective | None:
        return next((o for o in self.objectives if o.id == objective_id), None)


@dataclass(frozen=True)
class StateVar:
    """A value a scenario remembers (e.g. the person's trust), kept within low..high."""

    name: str
    label: str
    low: int
    high: int
    start: int
    shown: bool = True             # False: the story remembers it, the trainee sees no meter


@dataclass(frozen=True)
class Variant:
    """One alternative of a text or a next node, used when its condition holds."""

    when: str
    value: str
    condition: Condition | None = field(default=None, compare=False)  # None: unreadable, never holds

    def holds(self, values) -> bool:
        return self.condition is not None and self.condition.holds(values)


def _pick(default: str, variants: tuple, key: str, values) -> str:
    """The first variant of ``key`` whose condition holds, else the plain value."""
    for name, options in variants:
        if name == key:
            return next((v.value for v in options if v.holds(values)), default)
    return default


@dataclass(frozen=True)
class ScenarioChoice:
    """An option at a decision. ``reaction`` and ``next`` may vary with the state after ``effects``;
    ``next`` is "" when only its variants say where to go."""

    id: str
    text: str
    score: int
    reaction: str
    feedback: str
    next: str
    effects: tuple[tuple[str, int], ...] = ()
    variants: tuple[tuple[str, tuple[Variant, ...]], ...] = ()   # (field, variants), fields: reaction, next

    def reaction_for(self, values) -> str:
        return _pick(self.reaction, self.variants, "reaction", values)

    def next_for(self, values) -> str:
        return _pick(self.next, self.variants, "next", values)

    @property
    def targets(self) -> tuple[str, ...]:
        """Every node this choice may lead to, in any state."""
        found = [v.value for name, options in self.variants if name == "next" for v in options]
        return tuple(dict.fromkeys(found + ([self.next] if self.next else [])))


@dataclass(frozen=True)
class Node:
    """A decision (situation, the person's line, choices) or an ending (title, summary)."""

    id: str
    situation: str = ""
    line: str = ""
    choices: tuple[ScenarioChoice, ...] = ()
    ending: bool = False
    title: str = ""
    summary: str = ""
    connected_to: tuple[str, ...] = ()
    variants: tuple[tuple[str, tuple[Variant, ...]], ...] = ()  # fields: situation, line, title, summary

    def text_for(self, key: str, values) -> str:
        """``situation``, ``line``, ``title`` or ``summary`` as it reads in the state ``values``."""
        return _pick(getattr(self, key), self.variants, key, values)


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    audiences: tuple[str, ...]
    sources: tuple[Source, ...]
    setting: str
    person: str
    start: str
    nodes: tuple[Node, ...]
    minutes: int = 10
    kind: str = "scenario"
    version: str = ""
    state: tuple[StateVar, ...] = ()

    def node(self, node_id: str) -> Node | None:
        for node in self.nodes:
            if node.id == node_id:
                return node
        return None

    def start_values(self) -> dict[str, int]:
        return {var.name: var.start for var in self.state}

    def after(self, values, choice: ScenarioChoice) -> dict[str, int]:
        """The state after ``choice``: its effects added, each value kept within its range."""
        result = dict(values)
        for var in self.state:
            change = dict(choice.effects).get(var.name, 0)
            result[var.name] = min(var.high, max(var.low, result.get(var.name, var.start) + change))
        return result

    def best_path(self) -> list[Node]:
        """Decision nodes met when always taking the highest-scoring choice."""
        path, seen, node, values = [], set(), self.node(self.start), self.start_values()
        while node is not None and not node.ending and node.id not in seen and node.choices:
            seen.add(node.id)
            path.append(node)
            best = max(node.choices, key=lambda c: c.score)
            values = self.after(values, best)
            node = self.node(best.next_for(values))
        return path

    @property
    def max_score(self) -> int:
        """The score of the best path."""
        return sum(max(c.score for c in n.choices) for n in self.best_path())


@dataclass(frozen=True)
class RoleplayItem:
    """A role-play item an instructor observes in an in-person session (issue 17)."""

    id: str
    label: str


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    audience: str
    modules: tuple[str, ...]
    scenarios: tuple[str, ...]
    quiz_pass_percent: int
    max_attempts: int             # 0 = unlimited
    certificate_title: str
    minutes: int = 0
    validity_years: int | None = None
    description: str = ""
    version: str = ""
    #: The role-play items of the course's in-person sessions (optional ``roleplay:`` list).
    roleplay: tuple[RoleplayItem, ...] = ()


@dataclass(frozen=True)
class DirectoryEntry:
    id: str
    name: str
    department: str
    concerns: tuple[str, ...]
    audiences: tuple[str, ...]
    description: str
    source: str
    lines: tuple[int, int] | None = None
    phone: str = ""
    address: str = ""
    hours: str = ""


#: What a help-now line is: a phone number, a LINE account or a web chat (links, never numbers).
CONTACT_KINDS = ("phone", "line", "web")
#: ``audiences`` of a contact for everybody (adults and signed-out visitors).
GENERAL = "general"

#: What a directory entry helps with (schema.DIRECTORY_ENTRY checks the files against it).
CONCERNS = {
    "debt": "借金・多重債務", "living": "生活費・生活困窮", "work": "仕事・就労", "housing": "住まい",
    "health": "心身の健康", "mental": "こころの健康", "withdrawal": "ひきこもり",
    "childcare": "子育て・妊娠出産", "care": "介護・高齢者", "dv": "DV・暴力", "bullying": "いじめ",
    "abuse": "虐待", "school": "学校・不登校", "bereavement": "死別・遺族", "disability": "障害",
    "consumer": "消費生活", "business": "経営・事業", "legal": "法律", "youth": "若者", "women": "女性",
    "lgbt": "性の多様性", "addiction": "依存症", "general": "何でも相談・どこに相談すればよいかわからない",
}


@dataclass(frozen=True)
class HelpContact:
    id: str
    name: str
    number: str
    hours: Hours
    source_url: str
    source_note: str
    found_on: dt.date               # when the line was found on source_url; not a verification
    kind: str = "phone"
    url: str = ""                   # the operator's page: the link for LINE and chat services
    audiences: tuple[str, ...] = (GENERAL,)
    # Set only by the ward's edits in the app (training/contact_edits.py), never by the files:
    note: str = ""                  # a short note people read under the line on /help
    order: int = 0                  # where the ward puts the line (0: the file's order)
    verified_on: dt.date | None = None  # the day (JST) the ward last checked it against its source

    @property
    def tel_href(self) -> str:
        digits = "".join(ch for ch in self.number if ch.isdigit())
        return f"tel:{digits}" if digits and self.kind == "phone" else ""

    def is_for(self, audience: str | None) -> bool:
        """A line of this audience's own (None: signed out, who get the general set)."""
        if audience == "high_school":
            return audience in self.audiences
        return GENERAL in self.audiences or (audience is not None and audience in self.audiences)


@dataclass(frozen=True)
class HelpContacts:
    emergency: str
    contacts: tuple[HelpContact, ...]


@dataclass(frozen=True)
class SurveyItem:
    id: str
    text: str
    answer: bool | None = None     # knowledge items: the correct answer
    explanation: str = ""
    audiences: tuple[str, ...] = ()  # empty: asked to every audience

    def asked_to(self, audience: str) -> bool:
        return not self.audiences or audience in self.audiences


@dataclass(frozen=True)
class DistressOption:
    id: str
    text: str
    show_help: bool


@dataclass(frozen=True)
class DistressText:
    """The distress check's wording for some audiences (e.g. gentler for high-school students)."""

    audiences: tuple[str, ...]
    text: str
    help_text: str = ""


@dataclass(frozen=True)
class Survey:
    scale: tuple[str, ...]
    efficacy: tuple[SurveyItem, ...]
    knowledge: tuple[SurveyItem, ...]
    distress_id: str
    distress_text: str
    distress_options: tuple[DistressOption, ...]
    license_note: str = ""
    #: Shown with the help panel after an answer with show_help (empty: the page's own wording).
    distress_help: str = ""
    #: Per-audience wording of the distress check; the options (and their ids) stay the same.
    distress_variants: tuple[DistressText, ...] = ()

    def for_audience(self, audience: str) -> Survey:
        """The survey one course's audience answers: its own efficacy and knowledge items, and
        its own wording of the distress check if it has one."""
        variant = next((v for v in self.distress_variants if audience in v.audiences), None)
        return replace(self, efficacy=tuple(i for i in self.efficacy if i.asked_to(audience)),
                       knowledge=tuple(i for i in self.knowledge if i.asked_to(audience)),
                       distress_text=variant.text if variant else self.distress_text,
                       distress_help=(variant.help_text or self.distress_help) if variant else self.distress_help)


@dataclass(frozen=True)
class Content:
    courses: tuple[Course, ...]
    modules: tuple[Module, ...]
    quizzes: tuple[Quiz | Scenario, ...]
    directory: tuple[DirectoryEntry, ...]
    contacts: HelpContacts
    survey: Survey
    version: str = ""
    _index: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self):
        self._index.update({
            "course": {c.id: c for c in self.courses},
            "module": {m.id: m for m in self.modules},
            "quiz": {q.id: q for q in self.quizzes},
        })

    def course(self, course_id: str) -> Course | None:
        return self._index["course"].get(course_id)

    def module(self, module_id: str) -> Module | None:
        return self._index["module"].get(module_id)

    def quiz(self, quiz_id: str) -> Quiz | Scenario | None:
        return self._index["quiz"].get(quiz_id)

    def course_for_audience(self, audience: str) -> Course | None:
        return next((c for c in self.courses if c.audience == audience), None)
