"""A village's indicator measures, cached in the store by the village document's heads.

The township ranks sixty villages for every period of every program; measuring means
reading every ledger row, and an open village document costs megabytes (design.md,
Store). So measures are kept in the store's `measures` table keyed by the document's
heads (read without opening it) and the program's text: a village whose ledger has not
changed since it was last measured is never opened, and one opened only to be measured
is closed again.
"""

from __future__ import annotations

import hashlib

from domain.indicators import VillageMeasures, measure
from domain.program import Program
from sync.store import Store


def program_version(program: Program) -> str:
    """Changes whenever the program file does (its columns, indicators or periods may have)."""
    return hashlib.sha256(program.source.encode("utf-8")).hexdigest()


def village_measures(store: Store, program: Program, document: str) -> VillageMeasures:
    """The measures of `program` over the village document's rows (empty if absent)."""
    if not store.has_document(document):
        return measure(program, [])
    heads = store.heads(document)
    version = program_version(program)
    plain = store.cached_measures(document, program.id, heads, version)
    if plain is not None:
        try:
            found = VillageMeasures.from_plain(plain)
        except ValueError:
            found = None  # a stale or damaged cache row: measure again
        if found is not None and found.program == program.id:
            return found
    was_open = store.is_open(document)
    try:
        rows = store.village(document).rows(program.id, include_deleted=True)
        measured = measure(program, rows)
    finally:
        if not was_open:
            store.close_document(document)
    store.cache_measures(document, program.id, heads, measured.to_plain(), version)
    return measured
