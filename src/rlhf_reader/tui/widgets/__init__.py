"""Widgets of the reader: the catalog tree, the detail pane, the header and the filter bar."""
