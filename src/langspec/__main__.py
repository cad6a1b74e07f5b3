"""``python -m langspec COMMAND``: the library's commands.

    python -m langspec plan TARGET [--configfile F ...] [--cores N]   # jobs, work and time of a target before it runs
"""

from __future__ import annotations

import sys

COMMANDS = {"plan": "the jobs, work and time of a target before it runs (python -m langspec plan --help)"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "plan":
        from langspec.plan.estimate import main as plan

        return plan(rest)
    print(f"langspec: unknown command '{command}' (commands: {', '.join(COMMANDS)})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
