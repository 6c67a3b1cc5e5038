"""Problems found in content, reported as ``file:line: key.path: message``."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Issue:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass
class IssueList:
    """Collects every problem; nothing stops at the first one."""

    items: list[Issue] = field(default_factory=list)

    def add(self, file: str, line: int, path: str, message: str) -> None:
        self.items.append(Issue(file, max(int(line or 1), 1), path, message))

    def sorted(self) -> list[Issue]:
        return sorted(set(self.items))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(set(self.items))


class ContentInvalid(ValueError):
    """Raised at start-up when the content has problems; carries every issue."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        first = "\n".join(str(i) for i in issues[:20])
        more = f"\n… ほか {len(issues) - 20} 件" if len(issues) > 20 else ""
        super().__init__(f"コンテンツに {len(issues)} 件の問題があります:\n{first}{more}")
