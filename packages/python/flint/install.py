"""Install the ``flint-spark`` and ``flint-spark-dedicated`` kernelspecs.

Usage::

    python -m flint.install --prefix "$(python -c 'import sys; print(sys.prefix)')"

writes ``<prefix>/share/jupyter/kernels/flint-spark/kernel.json`` (Spark as ``FLINT_SPARK_MODE``
says: by default the project's shared Spark) and ``flint-spark-dedicated/kernel.json`` (a Spark of
the notebook's own, with ``sc`` and RDDs). The kernel runs the current
interpreter with ipykernel and loads the :mod:`flint.kernel` IPython extension at start
(``--ext flint.kernel``), which makes ``spark`` and ``sc`` available in every notebook.
Running it again rewrites the same file, so it is safe in setup scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

KERNEL_NAME = "flint-spark"
DISPLAY_NAME = "Python 3 (Spark)"
DEDICATED_KERNEL_NAME = "flint-spark-dedicated"
DEDICATED_DISPLAY_NAME = "Python 3 (Spark, dedicated)"


def build_kernel_spec(python: str, dedicated: bool = False) -> dict:
    """Return the kernel.json content for a kernel running ``python``.

    ``dedicated``: the notebook's own classic Spark (``FLINT_SPARK_MODE=dedicated``).
    """
    env = {
        # Python workers that Spark starts for UDFs must use the kernel's interpreter and
        # packages, not whatever `python3` is first on PATH.
        "PYSPARK_PYTHON": python,
    }
    if dedicated:
        env["FLINT_SPARK_MODE"] = "dedicated"
    return {
        "argv": [
            python,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            # InteractiveShellApp.extra_extensions: loaded before the first cell, after the shell
            # exists, so the extension can register hooks, formatters and magics.
            "--ext",
            "flint.kernel",
        ],
        "display_name": DEDICATED_DISPLAY_NAME if dedicated else DISPLAY_NAME,
        "language": "python",
        # SIGINT is what both ipykernel and Flint's Spark job cancellation react to.
        "interrupt_mode": "signal",
        "env": env,
        "metadata": {
            "debugger": True,
            # Starts the kernel in its project's sandbox when Flint's server asks for one
            # (FLINT_SANDBOX_CONFIG), else exactly like jupyter_client's local provisioner.
            "kernel_provisioner": {"provisioner_name": "flint-sandbox"},
        },
    }


def kernel_spec_path(prefix: Path, name: str = KERNEL_NAME) -> Path:
    """Return where the kernel.json of ``name`` lives under ``prefix``."""
    return prefix / "share" / "jupyter" / "kernels" / name / "kernel.json"


def install_kernel_spec(prefix: Path | str | None = None, python: str | None = None, dedicated: bool = False) -> Path:
    """Write the ``flint-spark`` (or ``dedicated``) kernelspec under ``prefix`` (default ``sys.prefix``).

    Idempotent: the file is rewritten only when its content differs. Returns its path.
    """
    name = DEDICATED_KERNEL_NAME if dedicated else KERNEL_NAME
    target = kernel_spec_path(Path(prefix or sys.prefix), name)
    content = json.dumps(build_kernel_spec(python or sys.executable, dedicated), indent=2) + "\n"
    if target.exists() and target.read_text(encoding="utf-8") == content:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a Jupyter server listing kernelspecs never reads half a file.
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(content, encoding="utf-8")
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m flint.install [--prefix DIR] [--python EXE]``."""
    parser = argparse.ArgumentParser(prog="python -m flint.install", description=__doc__.split("\n")[1])
    parser.add_argument("--prefix", default=sys.prefix, help="install under DIR/share/jupyter (default: sys.prefix)")
    parser.add_argument("--python", default=sys.executable, help="interpreter the kernel runs (default: this one)")
    args = parser.parse_args(argv)
    path = install_kernel_spec(args.prefix, args.python)
    print(f"Installed kernelspec {KERNEL_NAME!r} ({DISPLAY_NAME}) at {path}")
    path = install_kernel_spec(args.prefix, args.python, dedicated=True)
    print(f"Installed kernelspec {DEDICATED_KERNEL_NAME!r} ({DEDICATED_DISPLAY_NAME}) at {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
