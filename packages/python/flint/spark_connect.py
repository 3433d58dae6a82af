"""Run one project's shared Spark Connect server (started by Flint's server, see
``packages/kernel/src/spark-connect.ts``)::

    python -m flint.spark_connect --project ID --listen LISTEN --activity FILE [--memory-mb N]

The server is ``org.apache.spark.sql.connect.service.SparkConnectServer`` (its jar ships in
pyspark), started with pyspark's own ``spark-submit`` on ``local[*]``. It listens on
``127.0.0.1:CONNECT_PORT`` inside its sandbox; :mod:`flint.sandbox.launch` relays ``LISTEN`` to it
and touches ``FILE`` when bytes flow (the idle stop) and prints ``flint.sandbox: serving`` once it
accepts connections (``LISTEN`` ``0`` picks a free port, which that line names).

With a sandbox plan (``FLINT_SANDBOX_CONFIG``, mode ``bwrap``) the server runs in the project's
sandbox: the project's uid, its own network namespace, its work folder and package layer, its own
``/tmp``, and the project's Spark folder holding the Unix socket ``LISTEN`` that the project's
kernels reach (and no other project's kernel: it is bound into this project's sandboxes only).
Python UDF workers, which run user code, run there too. Without a plan, ``LISTEN`` is a loopback
port and the server runs as Flint's user.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from flint.kernel.session import driver_java_options, storage_conf
from flint.priority import lower_priority
from flint.sandbox import (
    CONNECT_PORT,
    build_command,
    build_env,
    load_plan,
    project_layer,
    project_spark_dir,
    write_identity,
)
from flint.sandbox.users import uid_for_project

DEFAULT_MEMORY_MB = 2048
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def spark_submit() -> str:
    """pyspark's own ``spark-submit``."""
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / "spark-submit")


def server_command(port: int, memory_mb: int, project: str, archive_options: list[str] | None = None) -> list[str]:
    """The ``spark-submit`` command of the server, listening on ``127.0.0.1:port``.

    ``archive_options``: the class archive's JVM options instead of mapping the built one
    (:mod:`flint.spark_archive` dumps it with this command)."""
    conf = {
        "spark.master": "local[*]",
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Progress reaches notebooks twice a second (the default is every 2 s).
        "spark.connect.progress.reportInterval": "500ms",
        "spark.driver.extraJavaOptions": driver_java_options(archive_options=archive_options),
        # A bucket as Flint's storage: the s3a jars and endpoint (credentials: AWS_* variables).
        **storage_conf(),
    }
    args = [spark_submit(), "--class", SERVER_CLASS, "--name", f"Flint project {project}"]
    args += ["--driver-memory", f"{memory_mb}m"]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]
    return [*args, "spark-internal"]


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(project: str, listen: str, activity: str, memory_mb: int) -> tuple[list[str], dict[str, str], str | None]:
    """The command, environment and working folder that run the project's server."""
    env = dict(os.environ)
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    plan = load_plan()
    if plan is None or plan.mode != "bwrap":
        port = free_port()
        launch = [sys.executable, "-m", "flint.sandbox.launch", "--serve", f"{listen}={port}"]
        launch += ["--activity", activity, "--"]
        return [*launch, *server_command(port, memory_mb, project)], env, None
    project_dir = Path(plan.projects_root) / project
    uid = None
    if plan.first_uid is not None:
        uid = uid_for_project(Path(plan.packages_root).parent / "uids.json", project, plan.first_uid)
    layer = project_layer(plan, project)
    spark_dir = project_spark_dir(plan, project)
    box = Path(plan.kernels_root) / f"spark-connect-{project}"
    scratch = box / "tmp"
    for folder in (project_dir, layer, box, scratch, scratch / "home", spark_dir):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if uid is not None:
        for folder in (project_dir, layer, box, scratch, scratch / "home", spark_dir):
            os.chown(folder, uid, uid)
        write_identity(box, uid, scratch / "home")
    Path(activity).touch()
    if uid is not None:
        os.chown(activity, uid, uid)
    command = build_command(
        plan,
        server_command(CONNECT_PORT, memory_mb, project),
        project_dir=project_dir,
        kernel_dir=box,
        scratch_dir=scratch,
        layer=layer,
        uid=uid,
        spark_dir=spark_dir,
        launch_args=["--serve", f"{listen}={CONNECT_PORT}", "--activity", activity],
    )
    env = build_env(plan, env, project=project, scratch_dir=scratch, layer=layer)
    return command, env, str(project_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flint.spark_connect")
    parser.add_argument("--project", required=True)
    parser.add_argument("--listen", required=True, help="a Unix socket path (sandboxed) or a loopback port")
    parser.add_argument("--activity", required=True, help="a file touched when the server is used")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    args = parser.parse_args(argv)
    command, env, cwd = build(args.project, args.listen, args.activity, args.memory_mb)
    if cwd:
        os.chdir(cwd)
    # Background work: the people's kernels and Flint's own processes get the CPU first (see
    # flint.priority). Set before the exec, so the sandbox, the JVM and its workers inherit it.
    lower_priority()
    os.execvpe(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
