"""The sandbox plan as bwrap arguments and a kernel environment (pure; real kernels in sandboxes
are tested in packages/kernel/src/sandbox.integration.test.ts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flint.sandbox import SandboxConfigError, SandboxPlan, build_command, build_env, load_plan
from flint.sandbox.users import uid_for_project


def plan(tmp_path: Path, **overrides: object) -> SandboxPlan:
    data = {
        "mode": "bwrap",
        "projectsRoot": str(tmp_path / "storage/projects"),
        "packagesRoot": str(tmp_path / "sandbox/packages"),
        "kernelsRoot": str(tmp_path / "sandbox/kernels"),
        "firstUid": 200000,
        "network": "isolated",
        "apiSocket": str(tmp_path / "sandbox/sockets/api.sock"),
        "apiPort": 3000,
        "proxySocket": str(tmp_path / "sandbox/sockets/egress.sock"),
        **overrides,
    }
    return SandboxPlan.from_json(data)


def command(tmp_path: Path, the_plan: SandboxPlan, uid: int | None = 200001) -> list[str]:
    return build_command(
        the_plan,
        ["python", "-m", "ipykernel_launcher", "-f", "conn.json"],
        project_dir=tmp_path / "storage/projects/p1",
        kernel_dir=tmp_path / "sandbox/kernels/k1",
        scratch_dir=tmp_path / "sandbox/kernels/k1/tmp",
        layer=tmp_path / "sandbox/packages/p1",
        uid=uid,
    )


def binds(args: list[str], flag: str) -> set[str]:
    return {args[i + 1] for i, arg in enumerate(args) if arg == flag}


def test_only_the_projects_folders_are_writable_and_nothing_else_of_the_data_dir(tmp_path: Path) -> None:
    args = command(tmp_path, plan(tmp_path))
    writable = binds(args, "--bind")
    assert writable == {
        str(tmp_path / "storage/projects/p1"),
        str(tmp_path / "sandbox/packages/p1"),
        str(tmp_path / "sandbox/kernels/k1"),
        str(tmp_path / "sandbox/kernels/k1/tmp"),
    }
    every_source = binds(args, "--bind") | binds(args, "--ro-bind") | binds(args, "--ro-bind-try")
    assert not any(source.startswith(str(tmp_path / "secrets")) for source in every_source)
    assert str(tmp_path) not in every_source
    assert {"--unshare-pid", "--unshare-ipc", "--unshare-net", "--die-with-parent"} <= set(args)
    # JDK 17 fails in its cgroup v1 code inside a cgroup namespace.
    assert "--unshare-cgroup" not in args and "--unshare-all" not in args
    assert args[args.index("--chdir") + 1] == str(tmp_path / "storage/projects/p1")


def test_drops_root_for_the_project_user(tmp_path: Path) -> None:
    args = command(tmp_path, plan(tmp_path))
    inner = args[args.index("--", 1) + 1 :]
    assert inner[:2] == ["setpriv", "--reuid=200001"]
    assert "--no-new-privs" in inner and "--bounding-set=-all" in inner
    assert args[-6:] == ["--", "python", "-m", "ipykernel_launcher", "-f", "conn.json"]


def test_host_network_has_no_forwarders(tmp_path: Path) -> None:
    args = command(tmp_path, plan(tmp_path, network="host"), uid=None)
    assert "--unshare-net" not in args
    assert "--forward" not in args
    assert "setpriv" not in args


def test_parents_of_binds_are_made_readable(tmp_path: Path) -> None:
    args = command(tmp_path, plan(tmp_path))
    made = [args[i + 3] for i, arg in enumerate(args) if arg == "--perms" and args[i + 2] == "--dir"]
    assert str(tmp_path) in made
    assert all(args[i + 1] == "0755" for i, arg in enumerate(args) if arg == "--perms" and args[i + 2] == "--dir")


def test_environment_describes_the_kernel_not_the_server(tmp_path: Path) -> None:
    env = build_env(
        plan(tmp_path),
        {"JPY_PARENT_PID": "12", "JUPYTER_RUNTIME_DIR": "/srv/runtime", "PATH": "/usr/bin", "LANG": "C.UTF-8"},
        project="p1",
        scratch_dir=tmp_path / "k1/tmp",
        layer=tmp_path / "sandbox/packages/p1",
    )
    assert "JPY_PARENT_PID" not in env
    assert env["JUPYTER_RUNTIME_DIR"] != "/srv/runtime"
    assert env["PIP_PREFIX"] == str(tmp_path / "sandbox/packages/p1")
    assert env["PYTHONPATH"].startswith(str(tmp_path / "sandbox/packages/p1/lib"))
    assert env["HTTPS_PROXY"] == "http://127.0.0.1:3128"
    assert env["SPARK_LOCAL_IP"] == "127.0.0.1"
    assert env["LANG"] == "C.UTF-8"


def test_each_project_keeps_its_own_uid(tmp_path: Path) -> None:
    registry = tmp_path / "uids.json"
    first = uid_for_project(registry, "a", 200000)
    second = uid_for_project(registry, "b", 200000)
    assert (first, second) == (200000, 200001)
    assert uid_for_project(registry, "a", 200000) == first
    assert json.loads(registry.read_text()) == {"a": 200000, "b": 200001}


def test_plan_errors_are_clear(tmp_path: Path) -> None:
    assert load_plan({}) is None
    with pytest.raises(SandboxConfigError, match="cannot read the sandbox plan"):
        load_plan({"FLINT_SANDBOX_CONFIG": str(tmp_path / "missing.json")})
    with pytest.raises(SandboxConfigError, match="malformed"):
        SandboxPlan.from_json({})
