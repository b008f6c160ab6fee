"""The ``institution-node`` subcommands (parsing in ``cli.py``; work in services/)."""
