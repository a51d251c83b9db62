"""How the command line speaks: consoles, errors, progress bars, tables and the one footer.

Every command prints through this module, so that every value written by a
stranger (a tag, a name, a file name) reaches the terminal as plain text, every
error becomes one message and a non-zero exit, and every result ends with the
same line saying what it counts and whose data it is (:func:`footer`).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from click.exceptions import Exit

from camatlas.errors import CamatlasError
from camatlas.store.pgurl import redact_url
from camatlas.vocab import PROVENANCE

if TYPE_CHECKING:  # rich is imported when something is printed through it, not at start-up
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.table import Table
    from rich.text import Text

__all__ = [
    "ProgressBar",
    "breakdown",
    "err",
    "errors",
    "fail",
    "footer",
    "new_table",
    "out",
    "print_json",
    "progress",
    "say",
    "shown",
    "text",
]


class LazyConsole:
    """A rich console made on first use, so that a command printing JSON never loads rich."""

    def __init__(self, *, stderr: bool) -> None:
        self.stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        """The rich console itself."""
        if self._console is None:
            from rich.console import Console

            if self.stderr:
                self._console = Console(stderr=True, highlight=False)
            else:
                # Piped output (CI logs, files) gets wide tables rather than 80 truncated columns.
                wide = None if sys.stdout.isatty() else 160
                self._console = Console(highlight=False, width=wide)
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        """Print as :meth:`rich.console.Console.print` does."""
        self.console.print(*objects, **options)

    @property
    def is_terminal(self) -> bool:
        """Whether the console writes to a terminal."""
        return self.console.is_terminal


out = LazyConsole(stderr=False)
"""Results: standard output."""

err = LazyConsole(stderr=True)
"""Errors, warnings and progress: standard error."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def text(value: object, style: str = "") -> Text:
    """``value`` as plain text for the terminal: markup is not interpreted, and control
    characters (escape sequences that could clear the screen or set colours) are shown as
    ``\\xNN`` instead of being sent."""
    from rich.text import Text

    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
    return Text(shown, style=style)


def say(*parts: object) -> None:
    """Print a line of plain text made of ``parts``."""
    out.print(text("".join(str(p) for p in parts)), soft_wrap=True)


def shown(atlas: str) -> str:
    """The atlas as printed: a PostgreSQL URL without its password."""
    return redact_url(atlas)


def footer(views: str | None = None) -> None:
    """The line every result ends with: known cameras only, and the data's attribution."""
    extra = f" Views: {views}." if views else ""
    out.print(text(PROVENANCE + extra), soft_wrap=True)


def print_json(data: Any) -> None:
    """Print ``data`` as JSON, indented, every control character in its strings escaped
    (``\\u001b``; JSON escapes only those below U+0020 itself, and a terminal obeys U+009B
    too), so nothing reaches the terminal raw. Written as it is, not highlighted: a
    route's JSON is large, and highlighting it took longer than finding the route."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    sys.stdout.write(_C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
    sys.stdout.flush()


_C1 = re.compile(r"[\x7f-\x9f]")


def fail(message: str, code: int = 1) -> Exit:
    """Print ``error: message`` to standard error; return the exit to raise."""
    err.print(text("error: ", style="bold red") + text(message), soft_wrap=True)
    return Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """Turn camatlas errors, and files that cannot be read or written, into a message and
    a non-zero exit, never a traceback."""
    try:
        yield
    except CamatlasError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        # A file that cannot be read or written (no permission, a full disk, a folder).
        where = f"{exc.filename}: " if exc.filename else ""
        raise fail(f"{where}{exc.strerror or exc}") from None
    except KeyboardInterrupt:
        raise fail("interrupted; what was not committed was not written", 130) from None


class ProgressBar:
    """A rich progress bar fed by (stage, done, total) callbacks; total 0 when unknown."""

    def __init__(self, progress: Progress, name: str) -> None:
        self.progress = progress
        self.name = name
        self.task: TaskID = progress.add_task(name, total=None)

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.progress.update(
            self.task,
            description=f"{self.name}: {stage}" if self.name else stage,
            completed=done,
            total=total if total > 0 else None,
        )


@contextmanager
def progress(name: str = "") -> Iterator[ProgressBar]:
    """A progress bar on standard error (shown only on a terminal), as a callback."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err.console,
        transient=True,
        disable=not err.is_terminal,
    ) as bars:
        yield ProgressBar(bars, name)


def new_table(*headers: str, **options: Any) -> Table:
    """A rich table with these column ``headers`` and :class:`rich.table.Table` options."""
    from rich.table import Table

    return Table(*headers, **options)


def breakdown(title: str, counts: dict[str, int], total: int, unit: str) -> Table:
    """A table of counts (of ``unit``, e.g. "camera records") with their share of ``total``."""
    table = new_table(title=title, title_justify="left", box=None)
    table.add_column(title.removeprefix("by "))
    table.add_column(unit, justify="right")
    table.add_column(f"share of {total:,}", justify="right")
    for key, n in counts.items():
        table.add_row(text(key), str(n), f"{100 * n / total:.0f}%" if total else "-")
    return table


def number(value: object, digits: int = 2) -> str:
    """A figure rounded to ``digits``, or ``-`` when it is missing or not a number."""
    if value is None or not isinstance(value, int | float) or value != value:
        return "-"
    return f"{value:.{digits}f}"
