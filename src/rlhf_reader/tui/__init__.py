"""The Textual front end: ``rlhf-reader`` with no command opens it (see ``app.make_app``)."""
