"""The command line: options in, a task, ``render``, exit status.  ``run`` is the ``diffcli`` entry point."""

from diffcli.cli.program import app, main, run

__all__ = ["app", "main", "run"]
