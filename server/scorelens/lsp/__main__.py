"""`python -m scorelens.lsp`: the language server over stdio."""

import logging
import sys
import time

import scorelens
from scorelens.lsp import features  # noqa: F401  (registers every handler)
from scorelens.lsp.server import server

logger = logging.getLogger("scorelens.lsp")


def main() -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("pygls").setLevel(logging.WARNING)
    started = time.monotonic()
    logger.info("scorelens language server %s starting (%s)", scorelens.__version__, sys.executable)
    server.start_io()
    logger.info("stopped after %.1f s", time.monotonic() - started)


main()
