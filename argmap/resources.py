"""Where the shipped maps, priors and lexicons live, and how a name or a path is resolved.

The shipped priors sit in the repository's top-level ``priors/`` folder; the wheel carries them as
``argmap/priors``. An editable install or a source checkout reads them from the repository.
"""

from __future__ import annotations

from pathlib import Path

from argmap.errors import NotFoundError
from argmap.files import did_you_mean, shorten

PACKAGE = Path(__file__).resolve().parent
MAPS_DIR = PACKAGE / "data" / "maps"
LEXICONS_DIR = PACKAGE / "data" / "lexicons"


def priors_dir() -> Path:
    """The folder of shipped priors files: inside the installed package, else the checkout's."""
    packaged = PACKAGE / "priors"
    return packaged if packaged.is_dir() else PACKAGE.parent / "priors"


def is_shipped(path: Path | None) -> bool:
    """Whether a map or priors file is one that ships with argmap (in its maps or priors folder)."""
    return path is not None and path.parent.resolve() in (MAPS_DIR.resolve(), priors_dir().resolve())


def shipped_names(folder: Path) -> list[str]:
    """The names (file stems) of the TOML files in a shipped folder."""
    return sorted(p.stem for p in folder.glob("*.toml"))


def resolve(name_or_path: str, folder: Path, what: str, base: Path | None = None) -> Path:
    """Resolve a shipped name (looked up in ``folder``) or a path (relative to ``base`` or cwd).

    A value with a path separator or a ``.toml`` ending is a path; anything else is a shipped name.
    """
    looks_like_path = "/" in name_or_path or "\\" in name_or_path or name_or_path.endswith(".toml")
    if looks_like_path:
        path = Path(name_or_path).expanduser()
        if base is not None and not path.is_absolute():
            path = base / path
        if path.exists() and not path.is_file():
            raise NotFoundError(f"{shorten(name_or_path)}: not a regular file (a folder or a device); give a "
                                f"{what} file")
        if not path.is_file():
            raise NotFoundError(f"{shorten(name_or_path)}: no such {what} file; check the path")
        return path
    shipped = folder / f"{name_or_path}.toml"
    if shipped.is_file():
        return shipped
    local = (base or Path.cwd()) / name_or_path
    if local.is_file():
        return local
    if local.exists():  # a folder, a FIFO, a device
        raise NotFoundError(f"{shorten(name_or_path)}: not a regular file (a folder or a device) and not a "
                            f"shipped {what}; give a {what} file")
    hint = did_you_mean(name_or_path, shipped_names(folder))
    raise NotFoundError(f"{shorten(name_or_path)}: not a shipped {what} nor a file; {hint}")
