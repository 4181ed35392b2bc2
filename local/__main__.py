"""`python -m local [--persist]`: the API, the streaming WebSocket and the web chat on one port."""

from __future__ import annotations

import argparse

from local.server import LocalOptions, run


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument(
        "--persist",
        action="store_true",
        help="keep conversations and documents across restarts in LOCAL_STATE_DIR (default .local-state/)",
    )
    arguments = parser.parse_args()
    run(LocalOptions.from_environment(persist_flag=arguments.persist))


if __name__ == "__main__":
    main()
