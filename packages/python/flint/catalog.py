"""Client for Flint's data catalog, used from notebook cells.

Placeholder: the catalog client comes with the catalog issue. Nothing is implemented here yet.
"""
