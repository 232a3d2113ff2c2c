"""Where a lab's certificate files are read from: the lab directory, or a node.

Paths are written as on the node (``/etc/kubernetes/pki/ca.crt``). In the lab
directory the same file is ``<lab>/etc/kubernetes/pki/ca.crt``, so a scenario
names a file once and it works in both places.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Protocol

# What a kubeadm node keeps and the lab directory mirrors; other paths are the learner's.
NODE_PREFIXES = ("etc/kubernetes", "var/lib/kubelet")


class NodeFiles(Protocol):
    """Read-only access to a machine's files by absolute path."""

    @property
    def where(self) -> str:
        """Shown in messages: 'the lab directory', 'node kind-control-plane'."""
        ...

    def read_file(self, path: str) -> bytes:
        """The file's bytes; FileNotFoundError when there is none."""
        ...

    def list_files(self, directory: str) -> list[str]:
        """Absolute paths of the regular files below ``directory`` (recursive), sorted."""
        ...


class LocalFiles:
    """A directory that stands for ``/``: the lab directory in local mode."""

    def __init__(self, root: Path, where: str = "the lab directory") -> None:
        self.root = root
        self._where = where

    @property
    def where(self) -> str:
        return self._where

    def _local(self, path: str) -> Path:
        rel = PurePosixPath(path.lstrip("/"))
        if ".." in rel.parts:
            raise FileNotFoundError(path)
        return self.root / rel

    def read_file(self, path: str) -> bytes:
        local = self._local(path)
        if not local.is_file():
            raise FileNotFoundError(path)
        return local.read_bytes()

    def list_files(self, directory: str) -> list[str]:
        base = self._local(directory)
        if not base.is_dir():
            return []
        return sorted(
            "/" + p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file()
        )


class LabFiles:
    """The lab directory, with the node's own paths (/etc/kubernetes ...) read from a node when one is set."""

    def __init__(self, lab_dir: Path, node: NodeFiles | None = None) -> None:
        self.lab = LocalFiles(lab_dir)
        self.node = node

    def source(self, path: str) -> NodeFiles:
        rel = path.lstrip("/")
        if self.node is not None and any(
            rel == p or rel.startswith(p + "/") for p in NODE_PREFIXES
        ):
            return self.node
        return self.lab

    def read_file(self, path: str) -> bytes:
        return self.source(path).read_file(path)

    def list_files(self, directory: str) -> list[str]:
        return self.source(directory).list_files(directory)

    def where(self, path: str) -> str:
        return self.source(path).where
