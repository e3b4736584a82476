"""Regenerate the shell completion scripts in this folder from the app, with typer's own machinery.

    python3 completions/generate.py          # rewrite diffcli.bash, _diffcli (zsh), diffcli.fish
    python3 completions/generate.py --check  # exit 1 if a file differs from what the app generates now

Each script is what ``diffcli --show-completion`` prints for that shell: diffcli is run with Click's
completion variable ``_DIFFCLI_COMPLETE=source_<shell>`` (the same protocol the installed scripts use to
ask diffcli for completions), so nothing here is written by hand.  The scripts call back into diffcli
when you press Tab, so new commands and options complete without regenerating; regenerate when typer's
templates change.  ``tests/test_cli.py`` fails when a file is out of date.
"""

from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRIPTS = {"bash": "diffcli.bash", "zsh": "_diffcli", "fish": "diffcli.fish"}
"""Shell → file name (zsh looks for ``_diffcli`` on its ``$fpath``)."""


def generate(shell: str) -> str:
    """The completion script for ``shell``, as the app generates it now."""
    environment = {**os.environ, "_DIFFCLI_COMPLETE": f"source_{shell}"}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-m", "diffcli"], env=environment, cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    if result.returncode != 0 or not result.stdout.strip():
        raise RuntimeError(f"diffcli did not generate a {shell} completion script: {result.stderr.strip()}")
    return result.stdout.strip() + "\n"


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for shell, name in SCRIPTS.items():
        path = os.path.join(HERE, name)
        text = generate(shell)
        try:
            with open(path, encoding="utf-8") as current:
                same = current.read() == text
        except FileNotFoundError:
            same = False
        if same:
            continue
        stale.append(name)
        if not check:
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
    if check and stale:
        print(f"out of date: {', '.join(stale)}; run python3 completions/generate.py", file=sys.stderr)
        return 1
    print("rewrote " + ", ".join(stale) if stale else "completions are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
