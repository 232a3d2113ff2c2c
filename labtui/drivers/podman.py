"""Podman, through its CLI. Podman has no daemon and no API socket by default.

Only what ``down`` needs: does a container or image exist, and remove it. Every
call is an argv with a timeout; a missing ``podman`` means there is nothing to do.
"""

from __future__ import annotations

from labtui.drivers import shell

TIMEOUT = 30.0


def available() -> bool:
    return shell.which("podman") is not None


def container_exists(name: str) -> bool:
    return shell.run(["podman", "container", "exists", name], timeout=TIMEOUT).exit_code == 0


def image_exists(name: str) -> bool:
    return shell.run(["podman", "image", "exists", name], timeout=TIMEOUT).exit_code == 0


def remove_container(name: str) -> bool:
    """Stop at once and remove; True when it is gone."""
    shell.run(["podman", "rm", "--force", "--time", "0", name], timeout=TIMEOUT)
    return not container_exists(name)


def remove_image(name: str) -> bool:
    """Remove the image name; True when it is gone. An image a container still uses stays."""
    shell.run(["podman", "rmi", name], timeout=TIMEOUT)
    return not image_exists(name)
