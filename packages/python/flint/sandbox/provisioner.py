"""The ``flint-sandbox`` kernel provisioner: jupyter_client's local provisioner, in bubblewrap.

Jupyter Server starts each kernel in the folder its request names (``path``): Flint names the
project's work folder, so the folder says which project's sandbox to build. Kernels talk ZMQ over
Unix sockets in a folder of their own (``ipc`` transport), which works whether or not the kernel
has its own network namespace, and holds nothing of other kernels. See ``docs/security-model.md``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from flint.sandbox import (
    SandboxConfigError,
    build_command,
    build_env,
    load_plan,
    project_layer,
    project_spark_dir,
    write_identity,
)
from flint.sandbox.users import uid_for_project

# Jupyter sends SIGINT to the kernel's process group to interrupt it; bwrap itself would die of
# it (and take the sandbox with it), so bwrap starts with SIGINT ignored. The kernel inside gets
# the default action back from `flint.sandbox.launch`. The shell also joins the kernel's memory
# cgroup (its first argument, when not empty) before anything else starts, so every process of
# the kernel is counted.
_WRAPPER = ["/bin/sh", "-c", 'trap "" INT; if [ -n "$0" ]; then echo $$ > "$0"; fi; exec "$@"']


class SandboxProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Starts the kernel inside the project's sandbox when Flint's plan says ``bwrap``."""

    _box: Path | None = None
    _cgroup: Path | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        plan = load_plan()
        if plan is None or plan.mode != "bwrap":
            return await super().pre_launch(**kwargs)
        km = self.parent
        cwd = Path(kwargs.get("cwd") or os.getcwd()).resolve()
        projects_root = Path(plan.projects_root).resolve()
        if cwd.parent != projects_root:
            # Never a kernel with no project: it would get no folder of its own, or someone else's.
            raise SandboxConfigError(f"a sandboxed kernel must start in a project folder under {projects_root}")
        project = cwd.name
        uid = None
        if plan.first_uid is not None:
            uid = uid_for_project(Path(plan.packages_root).parent / "uids.json", project, plan.first_uid)
        layer = project_layer(plan, project)
        spark_dir = project_spark_dir(plan, project)
        box = Path(plan.kernels_root) / self.kernel_id
        scratch = box / "tmp"
        for folder in (layer, box, scratch, scratch / "home", spark_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if uid is not None:
            for folder in (cwd, layer, box, scratch, scratch / "home", spark_dir):
                os.chown(folder, uid, uid)
            write_identity(box, uid, scratch / "home")
        self._box = box
        if km is not None:
            km.transport = "ipc"
            km.cache_ports = False
            km.ip = str(box / "zmq")
            km.connection_file = str(box / "connection.json")
        kwargs = await super().pre_launch(**kwargs)
        if km is not None and uid is not None:
            os.chown(km.connection_file, uid, uid)
        command = build_command(
            plan,
            kwargs["cmd"],
            project_dir=cwd,
            kernel_dir=box,
            scratch_dir=scratch,
            layer=layer,
            uid=uid,
            spark_dir=spark_dir,
        )
        procs = ""
        if plan.memory_bytes > 0 and plan.memory_cgroup:
            self._cgroup = _memory_group(Path(plan.memory_cgroup), self.kernel_id, plan.memory_bytes)
            procs = str(self._cgroup / "cgroup.procs") if self._cgroup else ""
        kwargs["cmd"] = [*_WRAPPER, procs, *command]
        kwargs["env"] = build_env(plan, kwargs.get("env") or {}, project=project, scratch_dir=scratch, layer=layer)
        kwargs["cwd"] = str(cwd)
        return kwargs

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if restart:
            return
        if self._box is not None:
            shutil.rmtree(self._box, ignore_errors=True)
        if self._cgroup is not None:
            try:
                self._cgroup.rmdir()
            except OSError:
                pass


def _memory_group(hierarchy: Path, kernel_id: str, limit: int) -> Path | None:
    """A memory cgroup (v1) of the kernel's own, limited to ``limit`` bytes; None if not possible."""
    group = hierarchy / kernel_id
    try:
        group.mkdir(parents=True, exist_ok=True)
        (group / "memory.limit_in_bytes").write_text(str(limit))
    except OSError:
        return None
    return group
