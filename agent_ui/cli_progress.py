"""Progress of the CLI's long steps on stderr (issue 15 item 14), so stdout keeps only the results.

On a terminal: a rich bar that clears itself when the step ends. Elsewhere (a log, a pipe, CI): one plain
counter line per tenth of the work, so the output stays short and readable."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn


class StepProgress:
    """``with StepProgress(console, "Demo customers", 200) as p: p.update(done)``."""

    def __init__(self, console: Console, label: str, total: int, *, steps: int = 10) -> None:
        self.console, self.label, self.total = console, label, max(total, 1)
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.every = max(self.total // steps, 1)
        self.shown = 0

    def __enter__(self) -> StepProgress:
        if self.console.is_terminal:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=self.console, transient=True)
            self.bar.__enter__()
            self.task = self.bar.add_task(self.label, total=self.total)
        else:
            self.console.print(f"{self.label}: 0/{self.total}")
        return self

    def update(self, done: int) -> None:
        done = min(done, self.total)
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=done)
            return
        if (done == self.total or done - self.shown >= self.every) and done > self.shown:
            self.console.print(f"{self.label}: {done}/{self.total} ({done * 100 // self.total}%)")
            self.shown = done

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.__exit__(kind, error, trace)


def bar_on(console: Console) -> Progress:
    """A plain rich bar (for a step whose total is learnt as it goes, e.g. a CSV import)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console, transient=console.is_terminal)
