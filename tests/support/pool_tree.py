"""A copy of the shipped content whose first core module asks a question pool
(tests/fixtures/quiz-pool/pool-check.yaml), for the pool tests of the engine and the checker."""
from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POOL_FILE = ROOT / "tests" / "fixtures" / "quiz-pool" / "pool-check.yaml"
#: The module whose quiz the pool replaces (read by every course but the high-school one).
POOL_MODULE = "core-gatekeeper"


def build_pool_tree(target: Path, pool_text: str | None = None) -> Path:
    """The shipped modules and quizzes under ``target``, with the pool (or ``pool_text``) as
    quizzes/pool-check.yaml in place of core-gatekeeper's own quiz."""
    shutil.copytree(ROOT / "modules", target / "modules")
    shutil.copytree(ROOT / "quizzes", target / "quizzes")
    (target / "quizzes" / "core-gatekeeper-check.yaml").unlink()
    (target / "quizzes" / "pool-check.yaml").write_text(pool_text or POOL_FILE.read_text(encoding="utf-8"),
                                                        encoding="utf-8")
    module = target / "modules" / f"{POOL_MODULE}.md"
    module.write_text(module.read_text(encoding="utf-8").replace("quiz: core-gatekeeper-check", "quiz: pool-check"),
                      encoding="utf-8")
    return target
