"""The one module that touches Textual's private API.

Written against Textual 8.2 (8.2.8). Private names can change in any Textual release, so
every use is here, each with the reason no public API does the job; after an upgrade, this
module and tests/tui/test_textual_internals.py (which fails if any other UI module uses a
private Textual name) are what to look at.

What it wraps:

- `DOMNode._bindings`, a node's own `BindingsMap`. vledger labels every key in the clerk's
  language (the footer, F1 help and the palette read the labels) and switches the language
  while running, so each screen, grid and editor gets its bindings per instance. Textual
  reads `BINDINGS` once per class and offers no public way to replace or read one node's
  own bindings (`App.bind` only adds to the app, with no id or tooltip; `active_bindings`
  is the merged focus chain; an upstream feature request for this is still open).
- `Input._on_key`, the handler with which Input types a printable key: it inserts the
  character or replaces the selection and restarts the cursor's blink (no public API
  restarts it). The cell editor calls it for keys it takes out of Textual's queue to keep
  their typing order (tui/grid/key_order.py).
- `CommandPalette._start_no_matches_countdown`, which writes "No matches found" in English
  with no parameter for other words (`SaidPalette` says it in the clerk's language).
- `textual.widgets._footer.FooterKey` (not exported), its constructor wrapped so a key
  starts as compact as its footer (`mend_footer`).
- `Footer.recompose` and a reactable's watcher lists (`"__watchers"`, `_closing`). Textual
  8.2's Footer builds a FooterKey per binding on every change of the bindings (each edit
  opens and closes the cell editor: two) and binds each key's `compact` to the footer's
  (`data_bind`), which registers a watcher on the footer. Textual drops the watchers of
  closed widgets only when the watched value changes, and the footer's `compact` never
  does, so every FooterKey ever shown stayed alive (some sixty widgets per edit, a few
  thousand objects each time), and each new watcher was compared with all before it.
  The full collections that this growing heap brought on took hundreds of milliseconds in
  the middle of typing. `mend_footer()` has the footer drop, after each recompose, the
  watchers of widgets that closed, as Textual itself does when the value changes. No
  public API removes a watcher. It also skips a recompose when the keys the footer would
  show (read as its compose reads them; `_bindings_ready` says whether it may yet) are
  the ones it shows: Textual asks for one on every possible change of the bindings,
  several per key that moves the focus, mostly for the same keys.

- A screen's repaint request (`_repaint_required`, `_dirty_regions`, `_repaint_regions`).
  `Screen.focused` is a reactive that repaints: every focus move repaints the whole screen,
  though what looks different with focus repaints itself (a widget's focus and blur
  handlers, its :focus styles). The grid moves focus to its cell editor and back on every
  edit, and that whole-screen repaint was most of an Enter's time. `set_focus_quietly`
  moves focus and puts the screen's own repaint request back as it was before. No public
  API sets the focus without it.

- `ScrollView._size_updated`, which Textual calls for every widget on every layout of the
  screen. A ScrollView (the grid's body) is handed the size of its window as its
  "virtual size", which never equals its real one, so each layout (the cell editor
  opening or closing: twice an edit) updated and repainted its scroll bars, all their
  lines, though nothing about them had changed. `SteadyScrollView` passes the call on only
  when its size, virtual size or window changed since the last time. No public API
  says what a ScrollView's scroll bars are updated for.

- `Widget._check_refresh`, with which a widget tells its screen what it needs repainted or
  laid out; Textual calls it when the widget's own message queue next runs empty. The
  screen paints a frame as soon as its own queue runs empty, so after a key the grid
  handled, the frame could show one part's change (the editor closing) and the next one,
  a frame or more later, the rest (the cursor's line, the status line). `report_refresh`
  has the grid's parts tell the screen at once, so one frame shows all a key changed.
  No public API hands the screen a widget's pending refresh.

Not needed: `_inherit_bindings`. Set in a class body it does nothing (Textual's
`__init_subclass__` resets it); the public class keyword `inherit_bindings=False` is the way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.align import Align
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingsMap
from textual.command import CommandList, CommandPalette
from textual.dom import DOMNode
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Footer, Input
from textual.widgets._footer import FooterKey
from textual.widgets.option_list import Option


def own_bindings(node: DOMNode) -> BindingsMap:
    """The bindings `node` itself holds (its ancestors' not included): what its footer
    entries, F1 help and palette entries are built from. Read it, do not change it."""
    return node._bindings


def bound_to(node: DOMNode, key: str) -> tuple[Binding, ...]:
    """`node`'s own bindings for `key` (a Textual key name), in the order it declared them."""
    return tuple(node._bindings.key_to_bindings.get(key, ()))


def set_bindings(node: DOMNode, bindings: Iterable[Binding] | BindingsMap) -> None:
    """Give `node` these bindings in place of what its class declared (BINDINGS).

    Call `node.refresh_bindings()` afterwards when it is on screen, so the footer redraws.
    """
    node._bindings = bindings if isinstance(bindings, BindingsMap) else BindingsMap(bindings)


async def type_printable(field: Input, event: events.Key) -> None:
    """Have Input type `event` (a printable key) into `field` as if it had just arrived."""
    await Input._on_key(field, event)


def drop_closed_watchers(watched: object) -> int:
    """Forget the watchers that closed widgets registered on `watched` (by `watch` or
    `data_bind`); how many were dropped. Textual's own rule, which it applies only when
    the watched value changes."""
    watchers = getattr(watched, "__watchers", None)
    dropped = 0
    if isinstance(watchers, dict):
        for entries in watchers.values():
            kept = [(node, callback) for node, callback in entries
                    if not getattr(node, "_closing", False)]
            dropped += len(entries) - len(kept)
            entries[:] = kept
    return dropped


def set_focus_quietly(screen: Screen[object], widget: Widget) -> None:
    """`screen.set_focus(widget)` without repainting the whole screen (see above): the
    widgets that gain and lose focus repaint what changes in them themselves."""
    asked = screen._repaint_required
    dirty, repaint = set(screen._dirty_regions), set(screen._repaint_regions)
    screen.set_focus(widget)
    if not asked:  # a repaint asked for before the move still happens
        screen._repaint_required = False
        screen._dirty_regions.clear()
        screen._dirty_regions.update(dirty)
        screen._repaint_regions.clear()
        screen._repaint_regions.update(repaint)


def report_refresh(*widgets: Widget) -> None:
    """Have each widget tell its screen now what it needs repainted or laid out (see
    above), so the screen's next frame shows it."""
    for widget in widgets:
        widget._check_refresh()


class SteadyScrollView(ScrollView):
    """A ScrollView whose scroll bars are updated on a layout only when what they show
    can have changed (see above)."""

    _sized_for: tuple[Size, Size, Size] | None = None

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        sized_for = (size, self.virtual_size, container_size)
        if sized_for == self._sized_for:
            return False  # what Textual's answers when nothing changed: no resize
        self._sized_for = sized_for
        return super()._size_updated(size, virtual_size, container_size, layout)


_FOOTER_RECOMPOSE = Footer.recompose


def _footer_shows(footer: Footer) -> list[object] | None:
    """What the footer's compose would show now (None: unknown yet, compose anyway)."""
    if not footer._bindings_ready or not footer.is_attached:
        return None
    active = footer.screen.active_bindings
    palette = active.get(footer.app.COMMAND_PALETTE_BINDING)
    return [footer.screen, footer.compact, footer.show_command_palette,
            palette[1:] if palette is not None else None,
            *((binding, enabled, tip) for _node, binding, enabled, tip in active.values()
              if binding.show)]


async def _recompose_footer(footer: Footer) -> None:
    # Textual recomposes the footer whenever the bindings may have changed: several times
    # per key that moves the focus, mostly to show the same keys again. Unchanged: skip.
    shows = _footer_shows(footer)
    if shows is not None and shows == getattr(footer, "_vledger_shows", None):
        return
    await _FOOTER_RECOMPOSE(footer)
    footer._vledger_shows = shows  # type: ignore[attr-defined]
    drop_closed_watchers(footer)  # the keys it just replaced


_FOOTER_KEY_INIT = FooterKey.__init__


def _footer_key_init(key: FooterKey, *args: Any, **kwargs: Any) -> None:
    _FOOTER_KEY_INIT(key, *args, **kwargs)
    # A key starts compact and takes its footer's `compact` once mounted: for a footer
    # that is not compact (vledger's never are), each key changed class and had its
    # styles worked out again, eight times over when the home first shows. Starting as
    # its footer will make it, it has nothing to change. (The palette's key is not bound
    # to the footer's `compact`: it stays compact, as Textual makes it.)
    if "-command-palette" not in kwargs.get("classes", ""):
        key.set_reactive(FooterKey.compact, False)  # a Footer's own default


def mend_footer() -> None:
    """Have every Footer recompose only when what it shows changed, and drop its old
    keys' watchers when it does; its keys start as compact as it is (see above)."""
    Footer.recompose = _recompose_footer  # type: ignore[method-assign, assignment]
    FooterKey.__init__ = _footer_key_init  # type: ignore[method-assign, assignment]


class SaidPalette(CommandPalette):
    """Textual's command palette with its texts in the clerk's language.

    The placeholder is public (a constructor argument); "No matches found" is written by
    the private `_start_no_matches_countdown`, with no way to pass other words, so this
    is that method again with `no_matches` in their place (same timer, same option id).
    """

    def __init__(self, *, placeholder: str, no_matches: str, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self.no_matches = no_matches

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Align.center(Text(self.no_matches, style="not bold")),
                    disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:  # discovery mode: nothing to say about no matches
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
