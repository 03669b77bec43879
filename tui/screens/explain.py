"""The drill-down behind one number of a ranking sheet (spec §7).

It shows the whole derivation of the village's row, one line per step as
`domain.explain.render` writes it, and marks and scrolls to the lines behind
the number the clerk pressed Enter on: the derivation reads top to bottom
like a hand calculation, so the marked lines keep their context. Above it, `notes`
say what the ranking screen adds: which sheet this is (as published), and for a number
that moved since the publication its old and new value and the late edits behind it.
Counted rows are named by their date and first cells (`rows`, read by the ranking screen on
the office's worker); the marks column is explained by what each of its marks means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from vledger.domain.explain import Step, explain_village, marks_line, render
from vledger.domain.ranking import RankingSheet
from vledger.messages import say
from vledger.tui.commands import Command, bindings
from vledger.tui.textual_compat import set_bindings

# Columns of the ranking sheet that are not an item, and the step kinds behind each.
COLUMN_STEPS: dict[str, frozenset[str]] = {
    "rank": frozenset({"rank", "veto", "complete"}),
    "village": frozenset(),  # the whole derivation, nothing marked
    "total": frozenset({"total", "adjustment", "rank_bonus"}),
    "adjustments": frozenset({"adjustment", "total"}),
    "rank_bonus": frozenset({"rank_bonus", "total"}),
    "reward": frozenset({"reward", "complete", "rank"}),
    "penalty": frozenset({"penalty", "complete", "rank"}),
    "amount": frozenset({"amount", "reward", "penalty", "money", "area"}),
    "marks": frozenset({"complete", "veto", "warning"}),
}
ITEM_KINDS = frozenset({"rule", "clamp", "round", "met", "money"})


def focus_lines(sheet: RankingSheet, village: str, column: str, steps: Sequence[Step]) -> list[int]:
    """Indexes of the steps behind the number in `column` of `village`'s row.

    An item column marks its indicator, target and the item's own steps; the
    other columns mark the kinds in COLUMN_STEPS. Empty when the column is the
    village itself (the whole row is the answer).
    """
    row = sheet.row(village)
    if column in row.items:
        result = row.items[column]
        indicator = result.indicator.indicator if result.indicator is not None else None
        return [
            i for i, step in enumerate(steps)
            if (step.kind in ITEM_KINDS and step.subject == column)
            or (indicator is not None and step.kind in ("indicator", "target")
                and step.subject == indicator)
        ]
    kinds = COLUMN_STEPS.get(column, frozenset())
    return [i for i, step in enumerate(steps) if step.kind in kinds]


EXPLAIN_COMMANDS: tuple[Command, ...] = (
    Command("close-explanation", "escape,q", "close", "cmd.close-explanation", show=True,
            key_display="Esc"),
    Command("explain-down", "down,j", "scroll_down", "cmd.explain-down"),
    Command("explain-up", "up,k", "scroll_up", "cmd.explain-up"),
    Command("explain-next", "n,tab", "next_focus", "cmd.explain-next", show=True),
)


class ExplainScreen(ModalScreen[None]):
    """How one number of `sheet` was reached, for `village`; Esc closes."""

    DEFAULT_CSS = """
    ExplainScreen { align: center middle; }
    ExplainScreen > #explain-frame {
        width: 100%; height: 1fr; border: round $accent; background: $surface;
        padding: 0 1;
    }
    ExplainScreen #explain-box { height: 1fr; }
    ExplainScreen #explain-title { text-style: bold; height: auto; }
    ExplainScreen .explain-line { height: auto; color: $text-muted; }
    ExplainScreen .explain-line.-focus { color: $text; text-style: bold; background: $boost; }
    ExplainScreen .explain-line.-warning { color: $warning; }
    ExplainScreen #explain-notes { height: auto; max-height: 45%; }
    ExplainScreen .explain-note { height: auto; color: $warning; }
    """

    def __init__(
        self, sheet: RankingSheet, village: str, column: str = "village", lang: str = "zh",
        column_title: str = "", notes: Sequence[str] = (),
        rows: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.lang = "zh" if lang == "zh" else "en"
        self.sheet = sheet
        self.village = village
        self.column = column
        self.steps = explain_village(sheet, village)
        self.lines = render(self.steps, self.lang, rows)
        self.marked = focus_lines(sheet, village, column, self.steps)
        self.column_title = column_title or column
        self.notes = list(notes)
        if column == "marks":  # what the marks mean comes first, then the steps behind them
            self.notes.insert(0, marks_line(sheet.row(village)).text(self.lang))
        self._cursor = 0
        # In place of Screen's (Tab keys, no ids): this screen has no fields to tab between.
        set_bindings(self, bindings(EXPLAIN_COMMANDS, self.lang))

    def commands(self) -> tuple[Command, ...]:
        return EXPLAIN_COMMANDS

    @property
    def focused_lines(self) -> list[str]:
        """The marked lines' text, as render() wrote them."""
        return [self.lines[i] for i in self.marked]

    def compose(self) -> ComposeResult:
        row = self.sheet.row(self.village)
        period = self.sheet.period_title if self.lang == "zh" else self.sheet.period
        what = self.column_title
        title = say(self.lang, "ui.explain.title", village=row.name, id=row.village,
                    period=period, what=what)
        with Vertical(id="explain-frame"):
            yield Static(title, id="explain-title", markup=False)
            if self.notes:
                with VerticalScroll(id="explain-notes"):
                    for i, note in enumerate(self.notes):
                        yield Static(note, classes="explain-note", id=f"explain-note-{i}",
                                     markup=False)
            with VerticalScroll(id="explain-box"):
                yield from self._lines()
        yield Footer()

    def _lines(self) -> ComposeResult:
        for i, (step, line) in enumerate(zip(self.steps, self.lines, strict=True)):
            classes = "explain-line"
            if i in self.marked:
                classes += " -focus"
            if step.kind == "warning":
                classes += " -warning"
            marker = "▶ " if i in self.marked else "  "
            yield Static(marker + line, classes=classes, id=f"explain-{i}", markup=False)

    def on_mount(self) -> None:
        self.call_after_refresh(self._show_focus)

    def _show_focus(self) -> None:
        if self.marked:
            target = self.query_one(f"#explain-{self.marked[self._cursor]}")
            self.query_one("#explain-box", VerticalScroll).scroll_to_widget(
                target, animate=False, top=True)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_down(self) -> None:
        self.query_one("#explain-box", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#explain-box", VerticalScroll).scroll_up(animate=False)

    def action_next_focus(self) -> None:
        if self.marked:
            self._cursor = (self._cursor + 1) % len(self.marked)
            self._show_focus()
