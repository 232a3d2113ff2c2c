"""Files inside a running container (a kind node), read with ``docker exec`` through the SDK."""

from __future__ import annotations

from labtui.drivers.docker import DockerDriver
from labtui.errors import EnvironmentUnavailable


class DockerExecFiles:
    """``docker exec NODE cat PATH``: the node-file interface of :mod:`labtui.pki.files`."""

    def __init__(self, docker: DockerDriver, node: str) -> None:
        self.docker = docker
        self.node = node

    @property
    def where(self) -> str:
        return f"node {self.node}"

    def _running(self) -> None:
        attrs = self.docker.inspect(self.node)
        if attrs is None or not attrs.get("State", {}).get("Running"):
            raise EnvironmentUnavailable(
                f"node container {self.node} is not running",
                f"start the cluster (`docker start {self.node}`) or unset LABTUI_PKI_NODE to use the generated files",
            )

    def read_file(self, path: str) -> bytes:
        self._running()
        code, out, err = self.docker.exec_bytes(self.node, ["cat", "--", path])
        if code != 0:
            raise FileNotFoundError(
                f"{path} in {self.node}: {err.decode(errors='replace').strip()}"
            )
        return out

    def list_files(self, directory: str) -> list[str]:
        self._running()
        res = self.docker.exec(self.node, ["find", directory, "-type", "f"])
        if res.exit_code != 0:
            return []
        return sorted(line for line in res.stdout.splitlines() if line.strip())
