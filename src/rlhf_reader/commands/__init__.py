"""Subcommands of the CLI, one module per group; each has ``register(subparsers)``."""
