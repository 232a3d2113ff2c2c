"""Values computed from the lab: an answer's expected value, a solution's answer.

Kept apart from ``base`` because a value may come from a certificate, and the
certificate kind builds on ``base``.
"""

from __future__ import annotations

import re

from labtui.checks.base import CheckContext, ValueUnavailable, lookup_path, node_argv, short
from labtui.scenario.model import ValueSource


def resolve_value(source: ValueSource | str, ctx: CheckContext) -> str:
    """Compute a value from the environment: template, host command, exec, or inspect field."""
    from labtui.drivers import shell

    if isinstance(source, str):
        return ctx.templates.render(source)
    if source.value is not None:
        text = ctx.templates.render(source.value)
    elif source.certificate is not None:
        from labtui.checks.certificate import certificate_value

        text = certificate_value(source, ctx)
    elif source.container is not None and source.field is not None:
        name = ctx.templates.render(source.container)
        attrs = ctx.docker.inspect(name)
        if attrs is None:
            raise ValueUnavailable(f"container {name} does not exist")
        found, value = lookup_path(attrs, source.field)
        if not found:
            raise ValueUnavailable(f"container {name} has no field {source.field}")
        text = value if isinstance(value, str) else str(value)
    elif source.container is not None and source.command is not None:
        name = ctx.templates.render(source.container)
        if ctx.docker.inspect(name) is None:
            raise ValueUnavailable(f"container {name} does not exist")
        result = ctx.docker.exec(name, ctx.templates.render_argv(source.command))
        if result.exit_code != 0:
            raise ValueUnavailable(
                f"`{' '.join(source.command)}` in {name} exited {result.exit_code}"
            )
        text = result.stdout
    else:
        assert source.command is not None
        argv = ctx.templates.render_argv(source.command)
        if source.node is not None:
            argv = node_argv(ctx, source.node, argv)
        res = shell.run(argv, cwd=ctx.lab_dir, env=ctx.env)
        if not res.ok:
            raise ValueUnavailable(f"`{' '.join(source.command)}` failed: {short(res.stderr)}")
        text = res.stdout
    if source.extract is not None:
        match = re.search(source.extract, text, re.MULTILINE)
        if not match:
            raise ValueUnavailable(f"nothing in the output matches /{source.extract}/")
        text = match.group(1) if match.groups() else match.group(0)
    return text.strip()
