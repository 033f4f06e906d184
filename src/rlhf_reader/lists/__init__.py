"""Curated lists: parse Markdown into a catalog, cache it, fetch and diff new versions."""
