"""Reading argmap's TOML files and turning validation failures into one-line errors.

This module may read files; it never prints. pydantic is imported lazily by the callers' models, and
only the error conversion lives here so every loader reports problems the same way.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from argmap.errors import ArgmapError, FileFormatError, LimitError, NotFoundError

MAX_FILE_BYTES = 1_000_000  # a map or priors file is a few kB; anything near this is a mistake
# the files read while a `recording()` block runs (argmap estimate --watch watches them)
_READ: ContextVar[list[tuple[Path, Any]] | None] = ContextVar("argmap_files_read", default=None)


@contextmanager
def recording() -> Iterator[list[tuple[Path, Any]]]:
    """Collect every TOML file read inside the block (extends and includes too), each with its
    (modification time, size) taken just before it was read, or None when it could not be stat'ed."""
    paths: list[tuple[Path, Any]] = []
    token = _READ.set(paths)
    try:
        yield paths
    finally:
        _READ.reset(token)


def stamp(path: Path) -> tuple[int, int] | None:
    """A file's (modification time, size), None when it cannot be stat'ed: what tells an edit."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, with size and syntax errors reported as one line naming the file."""
    seen = _READ.get()
    if seen is not None:  # stamped before reading: an edit saved while the run goes on is seen as new
        seen.append((path, stamp(path)))
    if path.exists() and not path.is_file():
        raise FileFormatError(f"{path}: not a regular file (a folder or a device); give a TOML file")
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file; check the path or use a shipped name")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise LimitError(
            f"{path}: the file is {size:,} bytes; argmap reads files of at most "
            f"{MAX_FILE_BYTES:,} bytes, so this is probably not a map or priors file"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark some editors add is not TOML
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(f"{path}: not valid TOML: {exc}; fix the syntax there") from exc


def shorten(text: str, limit: int = 80) -> str:
    """A user's value cut to size for an error message (a 300 kB name is not echoed whole)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The valid names closest to a misspelt one, best first."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=0.5)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``did you mean ...?`` hint, or a list of what is valid when nothing is close."""
    choices = sorted(choices)
    if not choices:
        return "there is nothing of that kind to choose from here"
    near = closest(word[:200], choices)
    if near:
        return "did you mean " + " or ".join(repr(c) for c in near) + "?"
    shown = ", ".join(repr(c) for c in choices[:12])
    more = f" (and {len(choices) - 12} more)" if len(choices) > 12 else ""
    return f"valid names are {shown}{more}"


def key_path(loc: Iterable[object], items: list[Any] | None = None) -> str:
    """Render a pydantic location like ``('node', 3, 'all')`` as ``node[3].all``.

    When ``items`` (the raw list of tables) is given, a list index is followed by that table's id so
    the user sees ``node[3] (pt_goal_directed).all``.
    """
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            if items is not None and i == 1 and part < len(items) and isinstance(items[part], dict):
                ident = items[part].get("id")
                if isinstance(ident, str):
                    out += f" ({ident})"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def validation_failure(
    path: Path, exc: Exception, allowed: dict[str, Iterable[str]], items: list[Any] | None = None
) -> ArgmapError:
    """Turn the first problem of a pydantic ``ValidationError`` into an ``ArgmapError``.

    ``allowed`` maps a section name ('' for the top level) to the keys valid there, for the hint
    given with an unknown key.
    """
    return validation_problem(path, exc.errors()[0], allowed, items)  # type: ignore[attr-defined]


def validation_problem(path: Path, err: dict[str, Any], allowed: dict[str, Iterable[str]],
                       items: list[Any] | None = None) -> ArgmapError:
    """One error of a pydantic ``ValidationError`` (an item of its ``errors()``) as an ``ArgmapError``."""
    loc = tuple(err["loc"])
    key = key_path(loc, items)
    kind = err["type"]
    if kind == "extra_forbidden":
        section = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
        valid = allowed.get(section, ())
        hint = did_you_mean(str(loc[-1]), valid) if valid else "remove it"
        return FileFormatError(f"{path}: {key}: unknown key; {hint}")
    if kind == "missing":
        return FileFormatError(f"{path}: {key}: required key is missing; add it")
    expected = _EXPECTED.get(kind)
    if expected is not None:
        return FileFormatError(f"{path}: {key}: expected {expected}, got {_describe(err.get('input'))}; "
                               "write it that way")
    if kind == "literal_error":
        options = err.get("ctx", {}).get("expected", "")
        return FileFormatError(f"{path}: {key}: expected one of {options}, got {_describe(err.get('input'))}")
    msg = err["msg"].removeprefix("Value error, ")
    return FileFormatError(f"{path}: {key}: {msg}")


# what a value of each kind looks like in a TOML file, for pydantic's type errors
_EXPECTED = {
    "string_type": 'text in quotes (like "a")',
    "list_type": 'a list in brackets (like ["a", "b"])',
    "tuple_type": "a list in brackets",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "dict_type": "a table (like { key = value })", "model_type": "a table (like { key = value })",
    "model_attributes_type": "a table (like { key = value })",
}


def _describe(value: Any) -> str:
    """A value from a file, named by its kind and shown short."""
    kind = {str: "text", bool: "true/false", int: "a number", float: "a number", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)
    return f"{kind} {shorten(repr(value), 40)}"


def check_writable(path: Path, suffix: str, force: bool) -> None:
    """Refuse an output path with the wrong ending, a missing folder, or an existing file."""
    if path.suffix.lower() != suffix:
        raise ArgmapError(f"{path}: give a file name ending in {suffix}")
    if not path.parent.is_dir():
        raise ArgmapError(f"{path}: the folder {path.parent} does not exist")
    if path.exists() and not force:
        raise ArgmapError(f"{path}: the file exists; choose another name or add --force")


# While write_atomically writes, a program's signal handlers may hand it their exception instead of
# raising it (defer_while_writing): raised inside the writer's C code (HDF5 callbacks) it would be
# printed and ignored, and the file written anyway. It is raised once the temporary file is removed.
_WRITING: dict[str, Any] = {"active": False, "pending": None}


def defer_while_writing(exc: BaseException) -> bool:
    """Keep ``exc`` for the end of the write in progress; False when nothing is being written."""
    if not _WRITING["active"]:
        return False
    _WRITING["pending"] = _WRITING["pending"] or exc
    return True


def write_atomically(path: Path, write: Callable[[Path], object], force: bool) -> None:
    """Write through a temporary file in the same folder, then rename: never a partial file."""
    check_writable(path, path.suffix.lower(), force)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _WRITING["active"] = True
    pending = None
    try:
        write(tmp)
        if _WRITING["pending"] is None:
            tmp.replace(path)
    except OSError as exc:
        raise ArgmapError(f"{path}: cannot write the file ({exc.strerror or exc})") from None
    finally:
        pending = _WRITING["pending"]
        _WRITING["active"], _WRITING["pending"] = False, None
        tmp.unlink(missing_ok=True)
    if pending is not None:
        raise pending
