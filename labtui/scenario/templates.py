"""Templates in scenario values: ``{base_image}``, ``{containers.c1.id}``, ``{lab_dir}``.

A template is data. Rendering a command renders each argv element on its own,
so a value can never become shell syntax, and a learner's answer is not a name
a template can reach.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

# Only ``{name}`` / ``{name.path}`` is a template; every other brace is literal text,
# so Go templates in docker commands (``{{.State.Pid}}``) pass through untouched.
_FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\}(?!\})")


class TemplateError(ValueError):
    """A name in a template cannot be resolved."""


Resolver = Callable[[list[str]], str]


class TemplateContext:
    """Names a template may use; dotted names are resolved lazily by prefix."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values: dict[str, str] = dict(values or {})
        self._resolvers: dict[str, Resolver] = {}
        self._lazy: dict[str, Callable[[], str]] = {}

    def set(self, name: str, value: str) -> None:
        self._values[name] = value

    def set_lazy(self, name: str, compute: Callable[[], str]) -> None:
        """``{name}`` computed the first time it is used (it may ask the cluster), then kept."""
        self._lazy[name] = compute

    def add_resolver(self, prefix: str, resolver: Resolver) -> None:
        """``resolver(["c1", "id"])`` answers ``{prefix.c1.id}``."""
        self._resolvers[prefix] = resolver

    def lookup(self, name: str) -> str:
        if name in self._values:
            return self._values[name]
        if name in self._lazy:
            self._values[name] = self._lazy.pop(name)()
            return self._values[name]
        head, _, rest = name.partition(".")
        if head in self._resolvers and rest:
            return self._resolvers[head](rest.split("."))
        known = sorted([*self._values, *self._lazy, *(f"{p}.…" for p in self._resolvers)])
        raise TemplateError(f"unknown template name {{{name}}}; known: {', '.join(known)}")

    def render(self, text: str, strict: bool = True) -> str:
        """Fill every ``{name}``; when not ``strict``, names that fail stay as written."""

        def sub(match: re.Match[str]) -> str:
            if strict:
                return self.lookup(match.group(1))
            try:
                return self.lookup(match.group(1))
            except Exception:
                return match.group(0)

        return _FIELD.sub(sub, text)

    def render_argv(self, argv: list[str]) -> list[str]:
        return [self.render(arg) for arg in argv]

    def render_any(self, value: Any) -> Any:
        """Render strings inside lists and dicts; leave other values as they are."""
        if isinstance(value, str):
            return self.render(value)
        if isinstance(value, list):
            return [self.render_any(v) for v in value]
        if isinstance(value, dict):
            return {k: self.render_any(v) for k, v in value.items()}
        return value
