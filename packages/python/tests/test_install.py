"""The kernelspec installer: what it writes and that running it twice changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flint.install import DISPLAY_NAME, KERNEL_NAME, install_kernel_spec, kernel_spec_path


def test_cli_writes_flint_spark_kernelspec(kernel_prefix: Path) -> None:
    spec = json.loads(kernel_spec_path(kernel_prefix).read_text())
    assert kernel_spec_path(kernel_prefix) == kernel_prefix / "share/jupyter/kernels/flint-spark/kernel.json"
    assert spec["display_name"] == DISPLAY_NAME == "Python 3 (Spark)"
    assert spec["argv"] == [
        sys.executable,
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
        "--ext",
        "flint.kernel",
    ]
    assert spec["env"]["PYSPARK_PYTHON"] == sys.executable
    assert spec["language"] == "python"


def test_install_is_idempotent(tmp_path: Path) -> None:
    first = install_kernel_spec(tmp_path)
    content, mtime = first.read_bytes(), first.stat().st_mtime_ns
    second = install_kernel_spec(tmp_path)
    assert second == first
    assert second.read_bytes() == content
    assert second.stat().st_mtime_ns == mtime  # untouched, not rewritten
    assert sorted(p.name for p in first.parent.iterdir()) == ["kernel.json"]


def test_install_repairs_a_stale_spec(tmp_path: Path) -> None:
    path = kernel_spec_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"argv": ["python"], "display_name": "old"}')
    subprocess.run([sys.executable, "-m", "flint.install", "--prefix", str(tmp_path)], check=True, capture_output=True)
    assert json.loads(path.read_text())["display_name"] == DISPLAY_NAME
    assert KERNEL_NAME in str(path)
