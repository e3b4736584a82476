from diffcli.cli import run

run()
