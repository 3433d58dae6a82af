"""Kernel sandboxes: every kernel runs in bubblewrap, as an unprivileged user of its project.

Flint's server writes a plan (JSON) and names it in ``FLINT_SANDBOX_CONFIG`` of the Jupyter Server
it starts; the ``flint-sandbox`` kernel provisioner (:mod:`flint.sandbox.provisioner`) reads it
for each kernel start and wraps the kernel's command with :func:`build_command`. Inside the
sandbox, :mod:`flint.sandbox.launch` starts the loopback forwarders (Flint's API, the egress
proxy) and then the kernel. ``docs/security-model.md`` says what is isolated from what.

This module is pure: it builds argument lists and environments, so it is tested without bwrap.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SandboxPlan", "SandboxConfigError", "load_plan", "build_command", "build_env", "project_layer"]

CONFIG_ENV = "FLINT_SANDBOX_CONFIG"

# Environment that describes the server, not the kernel: left out of every sandboxed kernel.
# JPY_PARENT_PID makes ipykernel exit as "parent appears to have exited" (a pid of another
# namespace); the Jupyter folders point at the server's own runtime and config.
_DROPPED_ENV = (
    "JPY_PARENT_PID",
    "JUPYTER_RUNTIME_DIR",
    "JUPYTER_CONFIG_DIR",
    "JUPYTER_DATA_DIR",
    "IPYTHONDIR",
    CONFIG_ENV,
)

# System folders every program needs, read-only. Symbolic links (merged /usr) stay links.
_SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")


class SandboxConfigError(RuntimeError):
    """The sandbox plan is missing, unreadable or does not allow this kernel start."""


@dataclass(frozen=True)
class SandboxPlan:
    """What Flint's server decided about sandboxes (see ``packages/kernel/src/sandbox.ts``)."""

    #: ``bwrap``: kernels run sandboxed; ``off``: they run as the server's user (said in health).
    mode: str
    #: The bwrap executable.
    bwrap: str = "bwrap"
    #: Folder holding one work folder per project (the Jupyter Server's root_dir).
    projects_root: str = ""
    #: Folder of per-project package layers (``%pip install`` goes there).
    packages_root: str = ""
    #: Folder of per-kernel scratch space (the kernel's ``/tmp``) and ZMQ sockets.
    kernels_root: str = ""
    #: uid/gid of the first project; each project gets its own (see :mod:`flint.sandbox.users`).
    #: None: keep the server's user (Flint does not run as root).
    first_uid: int | None = None
    #: ``isolated``: own network namespace, egress through Flint's proxy; ``host``: the host's.
    network: str = "isolated"
    #: Flint's API as a Unix socket, and the loopback port kernels call it on (FLINT_API_URL).
    api_socket: str = ""
    api_port: int = 0
    #: Flint's egress proxy (public addresses only) as a Unix socket, and its port in the sandbox.
    proxy_socket: str = ""
    proxy_port: int = 3128
    #: Extra folders bound read-only (e.g. JAVA_HOME outside /usr).
    read_only: tuple[str, ...] = field(default_factory=tuple)
    #: Memory limit of one kernel with everything it starts, in bytes (0: none); a cgroup.
    memory_bytes: int = 0
    #: The cgroup v1 memory hierarchy Flint may create kernel groups in ("" : not available).
    memory_cgroup: str = ""

    @staticmethod
    def from_json(data: dict[str, Any]) -> SandboxPlan:
        """Parse the plan Flint wrote; unknown keys are ignored (an older kernel package)."""
        try:
            return SandboxPlan(
                mode=str(data["mode"]),
                bwrap=str(data.get("bwrap", "bwrap")),
                projects_root=str(data.get("projectsRoot", "")),
                packages_root=str(data.get("packagesRoot", "")),
                kernels_root=str(data.get("kernelsRoot", "")),
                first_uid=None if data.get("firstUid") is None else int(data["firstUid"]),
                network=str(data.get("network", "isolated")),
                api_socket=str(data.get("apiSocket", "")),
                api_port=int(data.get("apiPort", 0)),
                proxy_socket=str(data.get("proxySocket", "")),
                proxy_port=int(data.get("proxyPort", 3128)),
                read_only=tuple(str(item) for item in data.get("readOnly", [])),
                memory_bytes=int(data.get("memoryBytes", 0)),
                memory_cgroup=str(data.get("memoryCgroup", "")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise SandboxConfigError(f"the sandbox plan is malformed: {error}") from error


def load_plan(environ: dict[str, str] | None = None) -> SandboxPlan | None:
    """The plan named by ``FLINT_SANDBOX_CONFIG``, or None when the variable is unset."""
    environ = os.environ if environ is None else environ
    location = environ.get(CONFIG_ENV)
    if not location:
        return None
    try:
        data = json.loads(Path(location).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SandboxConfigError(f"cannot read the sandbox plan {location}: {error}") from error
    return SandboxPlan.from_json(data)


#: The port of the project's Spark Connect server inside its sandbox, and in each kernel's sandbox
#: (a relay to the server's Unix socket): every sandbox has its own loopback.
CONNECT_PORT = 15002
#: The server's Unix socket in the project's Spark folder.
CONNECT_SOCKET = "connect.sock"


def project_spark_dir(plan: SandboxPlan, project: str) -> Path:
    """The folder of the project's Spark Connect server socket, bound into the project's sandboxes only."""
    return Path(plan.packages_root).parent / "spark" / project


def project_layer(plan: SandboxPlan, project: str) -> Path:
    """The project's package layer (a pip ``--prefix``): persists across kernels of the project."""
    return Path(plan.packages_root) / project


def layer_site_packages(layer: Path) -> Path:
    """Where pip puts packages under the ``--prefix`` ``layer`` for this interpreter."""
    return layer / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def python_dirs() -> list[str]:
    """Folders the kernel's interpreter needs: the environment, its base Python, Flint's package."""
    import flint

    dirs = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    # An editable install imports `flint` from the source tree: bind that package only.
    dirs.add(os.path.dirname(os.path.realpath(flint.__file__)))
    # A venv's python is a link into the base installation: keep whatever it points at.
    dirs.add(os.path.dirname(os.path.realpath(sys.executable)))
    return sorted(dirs)


def _system_args() -> list[str]:
    args: list[str] = []
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _parent_dirs(paths: list[str]) -> list[str]:
    """Ancestors of bind targets that bwrap would create 0700 (unreadable to the kernel's user)."""
    covered = [path for path in _SYSTEM_DIRS if os.path.isdir(path) and not os.path.islink(path)]
    parents: set[str] = set()
    for path in paths:
        parent = os.path.dirname(path)
        while parent not in ("/", "") and not any(parent == c or parent.startswith(c + "/") for c in covered):
            parents.add(parent)
            parent = os.path.dirname(parent)
    # Shallow first, so each is made inside the one before.
    return sorted(parents, key=lambda path: (path.count("/"), path))


def build_command(
    plan: SandboxPlan,
    kernel_cmd: list[str],
    *,
    project_dir: Path,
    kernel_dir: Path,
    scratch_dir: Path,
    layer: Path,
    uid: int | None,
    spark_dir: Path | None = None,
    launch_args: list[str] | None = None,
) -> list[str]:
    """The bwrap command that runs ``kernel_cmd`` in the project's sandbox.

    ``spark_dir`` is the project's Spark Connect folder (:func:`project_spark_dir`), whose Unix
    socket the kernel reaches as ``127.0.0.1:CONNECT_PORT`` (the server's own sandbox passes it
    with ``launch_args``; it binds the folder read-write). ``launch_args`` go to
    :mod:`flint.sandbox.launch` before its ``--``.

    Seen inside: the system and the Python environment read-only; the project's work folder and
    package layer read-write; the kernel's own folder (connection file, ZMQ sockets) read-write;
    a private ``/tmp``; its own ``/proc`` (no other process is visible); nothing else of Flint's
    data folder. Not unshared: the cgroup namespace (JDK 17 fails in ``CgroupV1Subsystem``).
    """
    args = [plan.bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    if plan.network == "isolated":
        args.append("--unshare-net")
    args += _system_args()
    # A private /tmp in memory first: Flint's own folders may live under the host's /tmp (tests),
    # and are bound inside it below. Bulk scratch (Spark's shuffle files) goes to `scratch_dir`.
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    read_only = sorted({*python_dirs(), *plan.read_only})
    writable = [str(project_dir), str(layer), str(kernel_dir), str(scratch_dir)]
    if spark_dir is not None and launch_args:
        writable.append(str(spark_dir))
    elif spark_dir is not None:
        # A kernel only connects to the socket (no write needed on a read-only mount); the folder,
        # not the socket, is bound, since the server makes the socket only when it starts.
        read_only = sorted({*read_only, str(spark_dir)})
    sockets = [plan.api_socket, plan.proxy_socket] if plan.network == "isolated" else []
    for parent in _parent_dirs([*read_only, *writable, *sockets]):
        args += ["--perms", "0755", "--dir", parent]
    for path in read_only:
        args += ["--ro-bind", path, path]
    for path in writable:
        args += ["--bind", path, path]
    if uid is not None:
        # A name and a home for the project's user: Java takes user.home from here ("?" without),
        # and so do pip, getpass and `whoami`.
        for name in ("passwd", "group"):
            args += ["--ro-bind", str(kernel_dir / name), f"/etc/{name}"]
    args += ["--chdir", str(project_dir)]
    inner: list[str] = []
    if uid is not None:
        # Drop root for good: no capabilities, no way back (no_new_privs), no supplementary groups.
        inner += [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
        ]
    inner += [sys.executable, "-m", "flint.sandbox.launch", *(launch_args or [])]
    if plan.network == "isolated":
        inner += ["--forward", f"{plan.api_port}={plan.api_socket}"]
        inner += ["--forward", f"{plan.proxy_port}={plan.proxy_socket}"]
        if spark_dir is not None and not launch_args:
            inner += ["--forward", f"{CONNECT_PORT}={spark_dir / CONNECT_SOCKET}"]
        for path in sockets:
            # -try: a socket not (yet) served leaves the route closed instead of the kernel dead.
            args += ["--ro-bind-try", path, path]
    return [*args, "--", *inner, "--", *kernel_cmd]


def write_identity(kernel_dir: Path, uid: int, home: Path) -> None:
    """Writes the ``passwd`` and ``group`` files :func:`build_command` binds over ``/etc``."""
    passwd = Path("/etc/passwd").read_text(encoding="utf-8") if Path("/etc/passwd").exists() else ""
    group = Path("/etc/group").read_text(encoding="utf-8") if Path("/etc/group").exists() else ""
    entry_passwd = f"flint:x:{uid}:{uid}:Flint project:{home}:/bin/sh\n"
    entry_group = f"flint:x:{uid}:\n"
    for name, base, entry in (("passwd", passwd, entry_passwd), ("group", group, entry_group)):
        lines = [line for line in base.splitlines(keepends=True) if not line.startswith("flint:")]
        text = "".join(lines)
        if text and not text.endswith("\n"):
            text += "\n"
        (kernel_dir / name).write_text(text + entry, encoding="utf-8")
        (kernel_dir / name).chmod(0o644)


def build_env(
    plan: SandboxPlan,
    env: dict[str, str],
    *,
    project: str,
    scratch_dir: Path,
    layer: Path,
) -> dict[str, str]:
    """The kernel's environment inside the sandbox: the server's minus what describes the server."""
    result = {name: value for name, value in env.items() if name not in _DROPPED_ENV}
    site = str(layer_site_packages(layer))
    result.update(
        {
            "HOME": str(scratch_dir / "home"),
            "TMPDIR": str(scratch_dir),
            "IPYTHONDIR": str(scratch_dir / "ipython"),
            "JUPYTER_RUNTIME_DIR": str(scratch_dir / "jupyter-runtime"),
            "MPLCONFIGDIR": str(scratch_dir / "matplotlib"),
            "FLINT_SANDBOX": "bwrap",
            # `%pip install` installs into the project's layer, which is on the path of every
            # kernel of the project (and of Spark's Python workers, which inherit PYTHONPATH).
            "PIP_PREFIX": str(layer),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [site, env.get("PYTHONPATH", "")])),
            "PATH": os.pathsep.join([str(layer / "bin"), env.get("PATH", "/usr/bin:/bin")]),
            "SPARK_LOCAL_DIRS": str(scratch_dir / "spark"),
        }
    )
    result["FLINT_PROJECT_ID"] = project
    if plan.network == "isolated":
        proxy = f"http://127.0.0.1:{plan.proxy_port}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            result[name] = proxy
        result["NO_PROXY"] = result["no_proxy"] = "127.0.0.1,localhost"
        # Spark's driver binds and advertises loopback: the sandbox has no other interface.
        result["SPARK_LOCAL_IP"] = "127.0.0.1"
        result["SPARK_LOCAL_HOSTNAME"] = "localhost"
    return result
