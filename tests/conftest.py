"""Shared helpers: run the command line in-process and split what it wrote."""

import pytest

from diffcli.cli import main

LECTURE = "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)"


@pytest.fixture
def cli(capsys):
    """``cli("compare", "x**2", "x=3")`` -> (exit status, stdout, stderr)."""
    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run
