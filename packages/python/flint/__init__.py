"""Flint's kernel-side package.

Modules:
- :mod:`flint.install`: installs the ``flint-spark`` kernelspec.
- :mod:`flint.kernel`: the IPython extension loaded into every Flint kernel (``spark``/``sc``,
  tables, ``%%sql``, per-cell Spark job tagging, interrupt, live progress).
- :mod:`flint.jupyter_nodelay`: a jupyter_server kernel websocket connection with TCP_NODELAY.
- :mod:`flint.catalog`: placeholder for the catalog client.
"""

__version__ = "0.1.0"
