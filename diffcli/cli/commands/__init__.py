"""One module per command; importing a module registers its command on :data:`diffcli.cli.app.app`."""
