"""The console script ``portal``: Flask's command line over the app, with every domain's commands.

``portal db …`` comes from Flask-Migrate; ``portal routes`` and ``portal shell`` from Flask.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command

from portal import create_app


def _create_cli_app() -> Flask:
    return create_app(require_secret=False)


def main() -> None:
    group = FlaskGroup(create_app=_create_cli_app, add_default_commands=False, add_version_option=False,
                       load_dotenv=False, set_debug_flag=False, help="The consortium portal's command line.")
    group.add_command(routes_command)
    group.add_command(shell_command)
    group.main(prog_name="portal")


if __name__ == "__main__":  # python -m portal.cli.main: the same as the console script
    main()
