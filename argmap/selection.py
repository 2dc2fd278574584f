"""Which map and priors a command is about: the defaults of formats.md section 4, in the library.

The CLI and the Python API resolve a selection the same way, so a notebook gets what a command
prints. Reads files; never prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from argmap.errors import ArgmapError
from argmap.maps import ArgumentMap
from argmap.priors import Priors, PriorsFile

DEFAULT_MAP = "deceptive-alignment"
DEFAULT_PRIORS = "wheaton"


def load_files(map_name: str | Path | None, names: Sequence[str | Path],
               last_names_map: bool = True) -> tuple[ArgumentMap, list[PriorsFile]]:
    """The priors files, and the map they are for.

    The map is ``map_name``, else the one named by the last file that names one (the first, with
    ``last_names_map=False``, for analyses that keep files apart), else the default map.
    """
    from argmap.maps import load_map
    from argmap.priors import load_priors_file

    files = [load_priors_file(n) for n in names]
    order = reversed(files) if last_names_map else files
    if map_name is not None:
        return load_map(map_name), files
    named = next((f for f in order if f.map), None)
    if named is None:
        return load_map(DEFAULT_MAP), files
    return load_map(named.map, base=named.path.parent), files  # a path in a file is the file's


def select(map_name: str | Path | None = None,
           priors: Sequence[str | Path] | None = None) -> tuple[ArgumentMap, Priors]:
    """The selected map and its layered priors (later files override earlier ones), as the CLI selects.

    Parameters
    ----------
    map_name : str or Path, optional
        A shipped map or a map file. Default: the map the last priors file names, else
        ``deceptive-alignment``.
    priors : sequence of str or Path, optional
        Priors files, layered in order. Default: the map's own priors (``priors = ...`` in the map
        file), else ``wheaton``.

    Returns
    -------
    tuple of (ArgumentMap, Priors)

    >>> amap, priors = select()
    >>> amap.id, priors.names
    ('deceptive-alignment', ('wheaton',))
    """
    from argmap.priors import combine

    if priors:
        amap, files = load_files(map_name, priors, last_names_map=True)
    else:
        from argmap.maps import load_map
        from argmap.priors import load_priors_file

        amap = load_map(map_name or DEFAULT_MAP)
        base = amap.path.parent if amap.default_priors and amap.path is not None else None
        files = [load_priors_file(amap.default_priors or DEFAULT_PRIORS, base)]  # a path is the map file's
    return amap, combine(files, amap)


def select_each(map_name: str | Path | None,
                names: Sequence[str | Path]) -> tuple[ArgumentMap, list[Priors]]:
    """One map and one Priors per file, not layered: for compare, cruxes and pool.

    Two files with one name (or one file twice) are refused, since their results would share a label.

    Parameters
    ----------
    map_name : str or Path or None
        As in :func:`select`; default: the map the first file names.
    names : sequence of str or Path
        The priors files, each kept apart.

    Returns
    -------
    tuple of (ArgumentMap, list of Priors)
    """
    from argmap.priors import combine

    amap, files = load_files(map_name, names, last_names_map=False)
    seen: dict[str, int] = {}
    for f in files:
        seen[f.name] = seen.get(f.name, 0) + 1
    duplicates = [n for n, k in seen.items() if k > 1]
    if duplicates:
        raise ArgmapError(f"two of the files are named {duplicates[0]!r}; compare distinct files, or give "
                          "each its own name = \"...\"")
    return amap, [combine([f], amap) for f in files]
