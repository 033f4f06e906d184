"""rlhf-reader: a terminal reading list for the RLHF literature."""

__version__ = "0.1.0"
