"""vledger: offline-first work ledgers and ranking sheets for a township and its villages.

The repository's top-level folders install under this one name: `vledger.domain`
(domain/), `vledger.sync` (sync/), `vledger.tui` (tui/) and `vledger.fixtures`
(fixtures/). Importing this package imports nothing else, so every command and the
UI start as fast as their own imports allow.
"""

__version__ = "0.2.0"
