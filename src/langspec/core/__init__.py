"""Core services every layer uses: errors, atomic writes, integrity checks, seeds, precision, job running, cluster checks.

The lowest layer: imports nothing else of langspec.
"""
