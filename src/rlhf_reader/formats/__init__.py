"""What leaves the app: citations and reading-list exports."""
