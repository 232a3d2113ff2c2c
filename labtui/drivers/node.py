"""Files inside a running container (a kind node), read with ``docker exec`` through the SDK."""

from __future__ import annotations

from labtui.drivers.docker import DockerDriver, engine_errors
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
        api = self.docker.client.api
        with engine_errors(f"reading {path} in {self.node}"):
            exec_id = api.exec_create(
                self.node, ["cat", "--", path], stdout=True, stderr=True, stdin=False
            )
            out, err = api.exec_start(exec_id, demux=True)
            code = api.exec_inspect(exec_id).get("ExitCode")
        if code != 0:
            raise FileNotFoundError(
                f"{path} in {self.node}: {(err or b'').decode(errors='replace').strip()}"
            )
        return bytes(out or b"")

    def list_files(self, directory: str) -> list[str]:
        self._running()
        res = self.docker.exec(self.node, ["find", directory, "-type", "f"])
        if res.exit_code != 0:
            return []
        return sorted(line for line in res.stdout.splitlines() if line.strip())
