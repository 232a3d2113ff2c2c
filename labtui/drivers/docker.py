"""The Docker engine, through the docker SDK. The only module that talks to it.

Everything created here carries ``labtui.scenario=<id>`` and
``labtui.owner=<owner id>`` (see ``labtui.state.owner``), so ``down`` and
``clean`` remove exactly what labtui made for the caller and leave other
learners' labs on a shared engine alone. Objects of an older labtui carry no
owner label. A lab that is up also holds a claim on its container names: a
small labelled volume, so a second learner's ``up`` sees the names are taken
even before the learner has made the containers by hand. Engine errors become
``EnvironmentUnavailable`` (exit code 3) with what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from labtui.drivers.engine_api import EngineAPI, EngineError, EngineUnreachable, local_socket
from labtui.drivers.host_programs import ContextFile
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.names import BASE_IMAGE_ENV, NAMES_LABEL, OWNER_LABEL, SCENARIO_LABEL

# The scenario label under the name this module's users know it by.
LABEL = SCENARIO_LABEL
DEFAULT_BASE_IMAGE = "busybox:1.36"

_STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?")

START_HINT = (
    "start Docker (e.g. `sudo systemctl start docker`) or point DOCKER_HOST at a running engine, "
    "then retry; `labtui doctor` shows what is missing"
)


def base_image() -> str:
    return os.environ.get(BASE_IMAGE_ENV) or DEFAULT_BASE_IMAGE


@dataclass(frozen=True)
class ExecResult:
    exit_code: int | None
    stdout: str
    stderr: str


def lab_labels(scenario_id: str, owner: str) -> dict[str, str]:
    return {LABEL: scenario_id, OWNER_LABEL: owner}


@dataclass(frozen=True)
class LabImage:
    id: str
    name: str
    scenario: str
    owner: str | None = None


@dataclass(frozen=True)
class LabContainer:
    id: str
    name: str
    scenario: str
    status: str
    created: str
    owner: str | None = None


@dataclass(frozen=True)
class LabClaim:
    """A lab that is up holds its container names on this engine, from ``since`` on."""

    volume: str
    scenario: str
    owner: str | None
    names: tuple[str, ...]
    since: datetime | None


def children_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Images ordered so that each comes before the images it was built FROM.

    Docker refuses to remove an image that others were built from ("image has dependent
    child images", even with force); a learner's image built FROM a lab image, in the
    same second, must go first. Depth counts the ancestors among ``items``.
    """
    parent = {str(i["Id"]): str(i.get("ParentId") or "") for i in items}

    def depth(image_id: str) -> int:
        seen, n = set(), 0
        while parent.get(image_id) in parent and image_id not in seen:
            seen.add(image_id)
            image_id = parent[image_id]
            n += 1
        return n

    return sorted(items, key=lambda i: (-depth(str(i["Id"])), -int(i.get("Created") or 0)))


def _selector(scenario_id: str | None, owner: str | None) -> list[str]:
    selector = [f"{LABEL}={scenario_id}" if scenario_id else LABEL]
    if owner:
        selector.append(f"{OWNER_LABEL}={owner}")
    return selector


def _is_connection_error(exc: BaseException) -> bool:
    import requests

    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return True
    text = str(exc)
    return "Connection aborted" in text or "Error while fetching server API version" in text


@contextlib.contextmanager
def engine_errors(action: str) -> Iterator[None]:
    """Turn SDK and transport errors into errors a learner can act on."""
    import docker.errors
    import requests

    try:
        yield
    except docker.errors.NotFound:
        raise
    except docker.errors.APIError as exc:
        if _is_connection_error(exc):
            raise EnvironmentUnavailable(
                f"Docker engine stopped answering while {action}", START_HINT
            ) from exc
        explanation = getattr(exc, "explanation", None) or str(exc)
        raise LabError(f"Docker refused {action}: {explanation}") from exc
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise EnvironmentUnavailable(
            f"Docker engine is not reachable while {action} ({type(exc).__name__})", START_HINT
        ) from exc


@contextlib.contextmanager
def fast_errors(action: str) -> Iterator[None]:
    """The same translation as ``engine_errors`` for the stdlib client."""
    try:
        yield
    except EngineUnreachable as exc:
        raise EnvironmentUnavailable(
            f"Docker engine is not reachable while {action} ({exc.strerror or exc})", START_HINT
        ) from exc
    except EngineError as exc:
        raise LabError(f"Docker refused {action}: {exc.message}") from exc


class DockerDriver:
    """A connection to one Docker engine, opened on first use.

    Inspect, exec and version go through the small stdlib client when the engine
    is on a local unix socket (see ``engine_api``); the rest uses the docker SDK.
    """

    def __init__(self, client: Any = None, timeout: float = 30.0) -> None:
        self._client = client
        self._timeout = timeout
        path = local_socket() if client is None else None
        self._fast = EngineAPI(path, timeout) if path else None

    @property
    def client(self) -> Any:
        if self._client is None:
            import docker

            with engine_errors("connecting"):
                self._client = docker.from_env(timeout=int(self._timeout))
        return self._client

    def ping(self) -> str:
        """The engine's version; raises EnvironmentUnavailable when it does not answer."""
        if self._fast is not None:
            with fast_errors("connecting"):
                return str(self._fast.version().get("Version", "unknown"))
        with engine_errors("connecting"):
            version = self.client.version()
        return str(version.get("Version", "unknown"))

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None

    # -- images

    def image_exists(self, image: str) -> bool:
        import docker.errors

        with engine_errors(f"looking up image {image}"):
            try:
                self.client.images.get(image)
                return True
            except docker.errors.ImageNotFound:
                return False

    def ensure_image(self, image: str) -> None:
        if self.image_exists(image):
            return
        import docker.errors

        try:
            with engine_errors(f"pulling image {image}"):
                self.client.images.pull(image)
        except (docker.errors.NotFound, LabError) as exc:
            raise EnvironmentUnavailable(
                f"image {image} is not on this machine and cannot be pulled ({exc})",
                f"pull it with `docker pull {image}`, or build the offline image with "
                f"`make base-image` and set {BASE_IMAGE_ENV}=labtui/base:local",
            ) from exc

    # -- containers

    def inspect(self, name: str) -> dict[str, Any] | None:
        """``docker inspect NAME`` as a dict, or None when there is no such container."""
        if self._fast is not None:
            with fast_errors(f"inspecting container {name}"):
                return self._fast.inspect(name)
        import docker.errors

        with engine_errors(f"inspecting container {name}"):
            try:
                attrs: dict[str, Any] = self.client.api.inspect_container(name)
                return attrs
            except docker.errors.NotFound:
                return None

    def run(
        self,
        scenario_id: str,
        name: str,
        image: str,
        command: list[str] | None,
        *,
        owner: str,
        **options: Any,
    ) -> str:
        """Create and start a container labelled with its lab and owner; returns its id."""
        with engine_errors(f"creating container {name}"):
            container = self.client.containers.run(
                image,
                command,
                name=name,
                detach=True,
                labels=lab_labels(scenario_id, owner),
                **options,
            )
        return str(container.id)

    def exec(self, name: str, argv: list[str], user: str | None = None) -> ExecResult:
        """Run ``argv`` in a running container; output decoded, exit code from the engine."""
        code, out, err = self.exec_bytes(name, argv, user)
        return ExecResult(
            code, out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace")
        )

    def exec_bytes(
        self, name: str, argv: list[str], user: str | None = None
    ) -> tuple[int | None, bytes, bytes]:
        """Run ``argv`` in a running container: (exit code, stdout, stderr) as bytes."""
        action = f"running a command in container {name}"
        if self._fast is not None:
            with fast_errors(action):
                return self._fast.exec(name, argv, user)
        api = self.client.api
        with engine_errors(action):
            exec_id = api.exec_create(
                name, argv, stdout=True, stderr=True, stdin=False, user=user or ""
            )
            out, err = api.exec_start(exec_id, demux=True)
            code = api.exec_inspect(exec_id).get("ExitCode")
        return code, out or b"", err or b""

    def remove(self, name: str, grace: int = 3) -> bool:
        """Stop (SIGKILL after ``grace`` seconds) and remove; False when it was already gone."""
        import docker.errors

        api = self.client.api
        with engine_errors(f"removing container {name}"):
            try:
                with contextlib.suppress(docker.errors.APIError):
                    api.stop(name, timeout=grace)
                api.remove_container(name, force=True, v=True)
                return True
            except docker.errors.NotFound:
                return False
            except docker.errors.APIError as exc:
                # Another client (a second `labtui down`, `docker rm`) is already removing it.
                if "already in progress" not in str(exc):
                    raise
        return self._wait_gone(name)

    def _wait_gone(self, name: str, timeout: float = 20.0) -> bool:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.inspect(name) is None:
                return True
            time.sleep(0.2)
        raise LabError(
            f"container {name} is still being removed after {timeout:g}s", "retry in a moment"
        )

    def build(
        self,
        scenario_id: str,
        tag: str,
        dockerfile: str,
        *,
        owner: str,
        files: Sequence[ContextFile] = (),
    ) -> str:
        """Build ``tag`` from Dockerfile text (no network); returns the image id.

        ``files`` make up the build context (none: the Dockerfile alone).
        """
        import io

        import docker.errors

        with engine_errors(f"building image {tag}"):
            try:
                image, _ = self.client.images.build(
                    fileobj=build_context(dockerfile, files)
                    if files
                    else io.BytesIO(dockerfile.encode()),
                    custom_context=bool(files),
                    tag=tag,
                    labels=lab_labels(scenario_id, owner),
                    network_mode="none",
                    rm=True,
                    forcerm=True,
                    pull=False,
                )
            except docker.errors.BuildError as exc:
                lines = [str(c.get("stream", c.get("error", ""))).strip() for c in exc.build_log]
                detail = next((x for x in reversed(lines) if x), str(exc))
                raise LabError(f"building image {tag} failed: {exc.msg}", detail) from exc
        return str(image.id)

    def labelled_images(
        self, scenario_id: str | None = None, owner: str | None = None
    ) -> list[str]:
        """Ids of the images labtui built (for one scenario or all; one owner's or everyone's)."""
        return [image.id for image in self.lab_images(scenario_id, owner)]

    def lab_images(
        self, scenario_id: str | None = None, owner: str | None = None
    ) -> list[LabImage]:
        with engine_errors("listing lab images"):
            items = self.client.api.images(filters={"label": _selector(scenario_id, owner)})
        items = children_first(items)
        return [
            LabImage(
                id=str(i["Id"]),
                name=", ".join(i.get("RepoTags") or []) or str(i["Id"])[7:19],
                scenario=(i.get("Labels") or {}).get(LABEL, ""),
                owner=(i.get("Labels") or {}).get(OWNER_LABEL),
            )
            for i in items
        ]

    def remove_image(self, image_id: str) -> bool:
        """Remove an image (every tag of it); False when it was already gone."""
        import docker.errors

        with engine_errors(f"removing image {image_id[:19]}"):
            try:
                self.client.api.remove_image(image_id, force=True, noprune=False)
                return True
            except docker.errors.NotFound:
                return False

    def labelled(
        self, scenario_id: str | None = None, owner: str | None = None
    ) -> list[LabContainer]:
        """Every container labtui created (for one scenario or all; one owner's or everyone's)."""
        with engine_errors("listing lab containers"):
            items = self.client.api.containers(
                all=True, filters={"label": _selector(scenario_id, owner)}
            )
        return [
            LabContainer(
                id=c["Id"],
                name=(c.get("Names") or ["/?"])[0].lstrip("/"),
                scenario=(c.get("Labels") or {}).get(LABEL, ""),
                status=c.get("State", ""),
                created=datetime.fromtimestamp(c.get("Created", 0)).isoformat(timespec="seconds"),
                owner=(c.get("Labels") or {}).get(OWNER_LABEL),
            )
            for c in items
        ]

    # -- claims on container names

    def claim(self, scenario_id: str, owner: str, names: list[str]) -> str:
        """Hold ``names`` for this owner's lab; returns the claim's volume (kept if it exists)."""
        volume = f"labtui-{scenario_id}-{owner}"
        labels = {**lab_labels(scenario_id, owner), NAMES_LABEL: ",".join(names)}
        with engine_errors(f"claiming the container names of lab {scenario_id}"):
            self.client.api.create_volume(volume, driver="local", labels=labels)
        return volume

    def claims(self, scenario_id: str | None = None, owner: str | None = None) -> list[LabClaim]:
        """The labs up on this engine and the names each holds."""
        with engine_errors("listing lab claims"):
            found = self.client.api.volumes(filters={"label": _selector(scenario_id, owner)})
        out = []
        for v in (found or {}).get("Volumes") or []:
            labels = v.get("Labels") or {}
            out.append(
                LabClaim(
                    volume=str(v.get("Name", "")),
                    scenario=labels.get(LABEL, ""),
                    owner=labels.get(OWNER_LABEL),
                    names=tuple(n for n in labels.get(NAMES_LABEL, "").split(",") if n),
                    since=created_at({"Created": v.get("CreatedAt", "")}),
                )
            )
        return out

    def release(self, volume: str) -> bool:
        """Give a lab's names back; False when the claim was already gone."""
        import docker.errors

        with engine_errors(f"releasing the claim {volume}"):
            try:
                self.client.api.remove_volume(volume, force=True)
                return True
            except docker.errors.NotFound:
                return False


def build_context(dockerfile: str, files: Sequence[ContextFile]) -> IO[bytes]:
    """A tar of the Dockerfile and ``files``, as the engine takes a build context."""
    import io
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        entries = [ContextFile("Dockerfile", dockerfile.encode()), *files]
        for path, data, mode in ((f.path, f.data, f.mode) for f in entries):
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    out.seek(0)
    return out


def created_at(attrs: dict[str, Any]) -> datetime | None:
    """``Created`` of an inspect result (or a volume's ``CreatedAt``) as an aware datetime.

    The engine writes nanoseconds, which ``fromisoformat`` does not take, and a
    volume's time in the engine's own zone.
    """
    found = _STAMP.fullmatch(str(attrs.get("Created", "")).strip())
    if found is None:
        return None
    head, frac, zone = found.groups()
    try:
        stamp = datetime.fromisoformat(head + (zone if zone and zone != "Z" else "+00:00"))
    except ValueError:
        return None
    if frac:
        stamp = stamp.replace(microsecond=int(frac[:6].ljust(6, "0")))
    return stamp
