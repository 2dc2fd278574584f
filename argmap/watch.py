"""``argmap estimate --watch``: the report kept current while its map and priors files are edited.

:class:`Watcher` does one refresh at a time (re-read the files, estimate, render the report as text);
:func:`run` polls the files' modification times and redraws a rich ``Live`` view when they change.
A refresh reuses the circuit of an unchanged map structure (argmap.exact) and the prior draws of
unchanged priors (argmap.model.DrawCache), so an edit costs only what it changed. A file saved
half-written or invalid shows its ``Error:`` line above the last good report, which stays on screen.
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from argmap.errors import ArgmapError

POLL_SECONDS = 0.2


class Watcher:
    """The state of a watched estimate: the files it read, its last good report and its last error."""

    def __init__(self, map_name: str | None, priors_names: Sequence[str] | None, *,
                 evidence_names: Sequence[str] = (), width: int = 100, color_system: str | None = None,
                 **options: Any) -> None:
        from argmap.model import DrawCache

        self.map_name, self.priors_names = map_name, list(priors_names or [])
        self.evidence_names = list(evidence_names)
        self.options = options
        self.width, self.color_system = width, color_system
        self.cache = DrawCache()
        self.stamps: dict[Path, tuple[int, int] | None] = {}
        self.report: str | None = None  # the last good report, with its ANSI styles
        self.error: str | None = None
        self.updated = 0.0
        self.seconds = 0.0  # how long the last refresh took

    def changed(self) -> bool:
        """Whether any file the last refresh read was modified, created or removed since."""
        from argmap.files import stamp

        return any(stamp(p) != s for p, s in self.stamps.items())

    def refresh(self) -> None:
        """Read the files again and recompute; on an error keep the last good report."""
        from argmap.analyses.estimate import estimate
        from argmap.evidence import load_evidence_document
        from argmap.files import recording
        from argmap.render import estimate_report
        from argmap.selection import select

        start = time.perf_counter()
        with recording() as paths:
            try:
                amap, priors = select(self.map_name, self.priors_names or None)
                evidence = list(priors.evidence) + [load_evidence_document(name)
                                                    for name in self.evidence_names]
                result = estimate(amap, priors, evidence=evidence, draw_cache=self.cache, **self.options)
                self.report = self._render(lambda console: estimate_report(result, amap, console, priors))
                self.error = None
                self.cache.prune()
            except ArgmapError as exc:
                self.error = str(exc)
            finally:
                # each file as it was when read (the first read, if several): an edit saved while this
                # ran differs from it, and the next poll sees it
                stamps: dict[Path, tuple[int, int] | None] = {}
                for path, stamp in paths:
                    stamps.setdefault(path, stamp)
                self.stamps = stamps
        self.updated = time.time()
        self.seconds = time.perf_counter() - start

    def _render(self, report: Any) -> str:
        from rich.console import Console

        buffer = io.StringIO()
        console = Console(file=buffer, width=self.width, force_terminal=self.color_system is not None,
                          color_system=self.color_system, highlight=False)
        report(console)
        return buffer.getvalue()

    def view(self) -> Any:
        """What the screen shows: a status line, the error line if any, and the last good report.

        On a terminal shorter than the report, its top (the verdict and the target's table) shows.
        """
        from rich.console import Group
        from rich.text import Text

        clock = time.strftime("%H:%M:%S", time.localtime(self.updated))
        parts: list[Any] = [Text(f"watching {len(self.stamps)} file(s) · updated {clock} in "
                                 f"{self.seconds:.2f} s · Ctrl-C to stop", style="dim")]
        if self.error is not None:
            parts.append(Text("Error: " + self.error, style="bold red"))
            if self.report is not None:
                parts.append(Text("(the last good result, below, stays until the files are valid again)",
                                  style="dim"))
        if self.report is not None:
            parts.append(Text.from_ansi(self.report.rstrip("\n")))
        return Group(*parts)


def run(watcher: Watcher, console: Any, poll: float = POLL_SECONDS) -> None:
    """Show the watcher's view and redraw it whenever its files change, until Ctrl-C."""
    from rich.live import Live

    watcher.refresh()
    with Live(watcher.view(), console=console, auto_refresh=False, vertical_overflow="crop") as live:
        try:
            while True:
                time.sleep(poll)
                if watcher.changed():
                    watcher.refresh()
                    live.update(watcher.view(), refresh=True)
        except KeyboardInterrupt:
            pass
