"""Task data: sources (gettext catalogs, hub datasets, local files) into the data contract."""
