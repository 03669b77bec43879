"""A server's answers kept across links (link/answers.py): fifty villages pulling the same
changes cost the server one computation, never a stale or foreign answer."""

from __future__ import annotations

from pathlib import Path

from tests.sync.test_protocol import (
    edit_cells,
    open_home,
    people,
    same_everything,
    township_home,
    village_doc,
)
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.answers import Answers
from vledger.sync.link.frames import Frame, FrameError, decode_body, encode
from vledger.sync.link.session import Identity, Initiator, Outcome, Responder, refusal


class SharedLink:
    """An in-process link to a server whose responders share one `Answers`, as
    transport.Server's do."""

    def __init__(self, server: Replicas, answers: Answers) -> None:
        self.server = server
        self.responder = Responder(Identity.of(server), answers=answers)

    async def ask(self, frame: Frame) -> Frame:
        try:
            answer = self.responder.handle(self.server, decode_body(encode(frame)[4:]))
        except FrameError as problem:
            answer = refusal(problem)
        return decode_body(encode(answer)[4:])


async def sync(client: Replicas, server: Replicas, answers: Answers) -> Outcome:
    link = SharedLink(server, answers)
    return await Initiator(Identity.of(client), link.ask).run(client)


async def test_villages_pulling_the_same_changes_share_one_answer(tmp_path: Path) -> None:
    town = township_home(tmp_path / "town")
    homes = [open_home(tmp_path / name, name) for name in ("v01", "v02")]
    answers = Answers()
    for home in homes:  # whole documents: nothing to keep
        assert (await sync(home, town, answers)).converged
    assert answers.hits == 0
    edit_cells(town, village_doc("v02"), 2, 55)
    first = await sync(homes[0], town, answers)
    second = await sync(homes[1], town, answers)
    assert first.converged and second.converged
    assert first.received == second.received == 2
    assert answers.hits == 1  # the second village got the first one's answer
    for home in homes:
        assert same_everything(home, town)
        assert people(home, village_doc("v02")).count(55) == 2
    for home in (*homes, town):
        home.close()


async def test_an_answer_is_not_reused_once_the_document_moved(tmp_path: Path) -> None:
    town = township_home(tmp_path / "town")
    homes = [open_home(tmp_path / name, name) for name in ("v01", "v02")]
    answers = Answers()
    for home in homes:
        await sync(home, town, answers)
    edit_cells(town, village_doc("v02"), 1, 55)
    await sync(homes[0], town, answers)
    edit_cells(town, village_doc("v02"), 1, 66)  # new heads here: the kept answer is old
    outcome = await sync(homes[1], town, answers)
    assert outcome.converged and answers.hits == 0
    assert 66 in people(homes[1], village_doc("v02"))
    assert same_everything(homes[1], town)
    for home in (*homes, town):
        home.close()


def test_answers_keep_at_most_their_bytes_least_recently_used_first() -> None:
    answers = Answers(max_bytes=3500)  # room for four answers of 864 bytes
    keys = [Answers.key(f"d{n}", [bytes([n]) * 32], []) for n in range(5)]
    for key in keys[:4]:
        answers.put(key, [b"x" * 700], [b"s" * 100])
    assert answers.get(keys[0]) is not None  # now the most recently used
    answers.put(keys[4], [b"x" * 700], [b"s" * 100])
    assert answers.get(keys[1]) is None and answers.get(keys[0]) is not None
    assert len(answers) == 4
    answers.put(Answers.key("big", [], []), [b"x" * 2000], [])  # over a quarter: not kept
    assert answers.get(Answers.key("big", [], [])) is None
    assert Answers.key("d", [b"b", b"a"], [b"d", b"c"]) == Answers.key("d", [b"a", b"b"],
                                                                        [b"c", b"d"])
