"""Metadata from outside: the arXiv API."""
