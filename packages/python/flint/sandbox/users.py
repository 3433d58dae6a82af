"""One Unix user per project for sandboxed kernels.

A project's kernels run as its own uid (and gid of the same number), so the files they write in
the project's folder belong to the project, and no kernel can signal, trace or read the files of
another project's kernels even where a folder were shared by mistake. The numbers need no entry
in ``/etc/passwd``; they are handed out in order from ``first_uid`` and kept in a JSON file.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

#: How many projects one range serves before numbers would run into other ranges.
MAX_PROJECTS = 1_000_000


def uid_for_project(registry: Path, project: str, first_uid: int) -> int:
    """The uid of ``project``, allocating the next free one (under a file lock) the first time."""
    registry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(registry, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        text = handle.read()
        table: dict[str, int] = json.loads(text) if text.strip() else {}
        if project in table:
            return table[project]
        uid = first_uid + len(table)
        if uid >= first_uid + MAX_PROJECTS:
            raise RuntimeError("no sandbox user ids are left for new projects")
        table[project] = uid
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(table))
        handle.flush()
        os.fsync(handle.fileno())
        return uid
