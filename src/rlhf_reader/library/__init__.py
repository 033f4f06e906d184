"""The personal library: the TinyDB file, its writes, merges, additions and counts."""
