"""Task data: sources (gettext catalogs, hub datasets, local files) into the data contract; encoding and shards.

May import: :mod:`langspec.core`.
"""
