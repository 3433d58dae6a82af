"""Flint's kernel-side package.

Modules:
- :mod:`flint.install`: installs the ``flint-spark`` kernelspec.
- :mod:`flint.kernel`: the IPython extension loaded into every Flint kernel (``spark``/``sc``,
  tables, ``%%sql``, per-cell Spark job tagging, interrupt, live progress).
- :mod:`flint.jupyter_nodelay`: a jupyter_server kernel websocket connection with TCP_NODELAY.
- :mod:`flint.catalog`: the catalog client (``flint.catalog.load("name")``), imported on first use.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # `import flint; flint.catalog.load(...)` works without importing the client (and its HTTP
    # stack) into every kernel up front.
    if name == "catalog":
        import importlib

        return importlib.import_module("flint.catalog")
    raise AttributeError(f"module 'flint' has no attribute {name!r}")
