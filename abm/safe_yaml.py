"""The one YAML loader for everything a user gives: scenario and design files, pasted and uploaded
scenarios in the dashboard, and ``--set KEY=VALUE`` values.

``yaml.safe_load`` is safe from code execution but not from small documents that cost a lot: an
"alias bomb" (anchors that refer to anchors, a few hundred bytes) expands to gigabytes, and a deep
nest of brackets exhausts the recursion limit.  It also keeps the last of two duplicate keys
silently.  A scenario never needs any of that, so this loader refuses:

* documents over :data:`MAX_BYTES` (checked before parsing, for files, pastes and drops alike);
* aliases (``*name``; anchors alone are harmless and ignored), so no value is ever expanded;
* nesting deeper than :data:`MAX_DEPTH`;
* duplicate keys in a mapping;
* text that is not UTF-8.

Every refusal is a :class:`abm.config.ConfigError` naming the source (a file name, "pasted YAML",
``--set``), the line where possible and what is allowed, in a message of bounded length.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from abm.errors import ConfigError, clip, short

MAX_BYTES = 50_000  # the largest preset is under 3 kB; the slowest 50 kB document parses in about 0.5 s
MAX_DEPTH = 20  # a scenario nests 4 deep (params.section.field.item); room for designs and comments
MAX_MESSAGE = 240  # characters of a parser's own message that are shown


class Refused(ConfigError):
    """Refused whatever the document means: too large, an alias, too deep, a duplicate key, not UTF-8."""


class _Refused(yaml.YAMLError):
    """A document this loader does not accept (alias, depth, duplicate key), with where it happened."""

    def __init__(self, message: str, mark: yaml.Mark | None):
        line = f" (line {mark.line + 1})" if mark is not None else ""
        super().__init__(f"{message}{line}")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases, deep nesting or duplicate keys."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(f"aliases (*{event.anchor}) are not allowed; write the value out in full", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    f"nested more than {MAX_DEPTH} levels deep; allowed: up to {MAX_DEPTH}",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: PyYAML's own check reports it
                continue
            if duplicate:
                raise _Refused(
                    f"duplicate key {short(key)}; each key may appear once in a mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def decode(content: str | bytes, source: str, max_bytes: int = MAX_BYTES) -> str:
    """The text of ``content`` (UTF-8, a BOM allowed), refused when over ``max_bytes`` or not UTF-8."""
    size = len(content.encode("utf-8", "surrogatepass")) if isinstance(content, str) else len(content)
    if size > max_bytes:
        raise Refused([f"{source}: {size:,} bytes is too large; allowed: up to {max_bytes:,} bytes"])
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(
            [f"{source}: not UTF-8 text (byte {exc.start:,} cannot be read); allowed: a YAML file saved as UTF-8"]
        ) from None


def load(content: str | bytes, source: str, max_bytes: int = MAX_BYTES) -> Any:
    """Parse one YAML document from ``content``; raise ConfigError naming ``source`` when it is refused."""
    text = decode(content, source, max_bytes)
    loader = None
    try:
        loader = _Loader(text)  # reads the text's first characters: it may refuse them already
        return loader.get_single_data()
    except _Refused as exc:
        raise Refused([f"{source}: {exc}"]) from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).replace(' in "<unicode string>"', "").split())
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + "..."
        raise ConfigError([f"{source} is not valid YAML: {message}"]) from None
    except RecursionError:  # a nest deeper than Python allows inside a single scalar's construction
        raise Refused([f"{source}: nested too deeply; allowed: up to {MAX_DEPTH} levels"]) from None
    finally:
        if loader is not None:
            loader.dispose()


def read(path: str | Path, what: str = "scenario", max_bytes: int = MAX_BYTES) -> Any:
    """Parse the YAML (or JSON) file at ``path``: a regular file of at most ``max_bytes``.

    Devices, folders and unreadable files are refused with a message, never read without bound.
    """
    path = Path(path)
    shown = _shown(path)
    if not path.exists():
        raise ConfigError([f"{what}: file {shown} does not exist"])
    if not path.is_file():
        raise ConfigError([f"{what}: {shown} is not a regular file; allowed: a YAML file"])
    try:
        with path.open("rb") as f:
            content = f.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError([f"{what}: cannot read {shown}: {exc.strerror or exc}"]) from None
    if len(content) > max_bytes:
        size = path.stat().st_size
        raise Refused([f"{what}: {shown} is {size:,} bytes, too large; allowed: up to {max_bytes:,} bytes"])
    return load(content, path.name, max_bytes)


def _shown(path: Path, limit: int = 80) -> str:
    """A path for a message: its end (where the file's name is) when it is long."""
    return repr(clip(str(path), limit, keep_end=True))
