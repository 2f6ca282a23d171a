"""compose.yaml, read as Docker Compose reads it (no engine runs here): every variable it sets
for a process built from the Dockerfile is one the program reads, asked of the code itself (the
settings, `taskloom serve`'s among them, and boto3's credential lookup), and the services wait
for each other's health checks."""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from botocore.credentials import EnvProvider

from infra.settings.environment import server_settings_from_env, settings_from_env
from infra.settings.values import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
# $$, ${NAME}, ${NAME:-default}, ${NAME?error}..., $NAME; a lone `$` is an error in Compose.
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?+])(?P<argument>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*)|(?P<invalid>))"
)


class MissingVariable(Exception):
    """Compose would refuse to start: a `${NAME:?...}` variable is not set."""


class Recording(Mapping[str, str]):
    """An environment that remembers every name looked up in it, present or not."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.read.add(name)
        return name in self._values

    def get(self, name: str, default: Any = None) -> Any:
        self.read.add(name)
        return self._values.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["invalid"] is not None:
            raise ValueError(f"invalid interpolation in {text!r}")
        name = match["braced"] or match["named"]
        operator, argument = match["operator"] or "", match["argument"] or ""
        value = variables.get(name)
        unset = value is None or (operator.startswith(":") and value == "")
        if operator.endswith("-"):
            return argument if unset else str(value)
        if operator.endswith("?"):
            if unset:
                raise MissingVariable(f"{name}: {argument}")
            return str(value)
        if operator.endswith("+"):
            return "" if unset else argument
        return value or ""

    return INTERPOLATION.sub(replace, text)


def interpolated(node: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [interpolated(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(value, variables) for key, value in node.items()}
    return node


def required_variables() -> set[str]:
    """The names compose.yaml refuses to start without (`${NAME:?...}`)."""
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?", COMPOSE.read_text()))


def sample_dotenv() -> dict[str, str]:
    """A .env as the README asks for: a random URL-safe value for every required variable."""
    return {name: secrets.token_urlsafe(32) for name in required_variables()}


def compose(variables: Mapping[str, str] | None = None) -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    result: dict[str, Any] = interpolated(
        document, sample_dotenv() if variables is None else variables
    )
    return result


def project_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from the project's Dockerfile."""
    return {name: s for name, s in document["services"].items() if "build" in s}


def environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {name: "" if value is None else str(value) for name, value in raw.items()}


def settings_of(service: dict[str, Any], data_dir: Path) -> tuple[Settings, set[str]]:
    """The service's settings, and every name read for them and for `taskloom serve`'s own."""
    recorded = Recording({**environment(service), "TASKLOOM_DATA_DIR": str(data_dir)})
    server_settings_from_env(recorded)
    return settings_from_env(recorded), recorded.read


def read_by_boto3(variables: Mapping[str, str]) -> set[str]:
    """The names boto3's environment credential provider (the S3 file store's) looks up."""
    recorded = Recording(variables)
    EnvProvider(environ=recorded).load()
    return recorded.read


def unread_variables(service: dict[str, Any], data_dir: Path) -> set[str]:
    variables = environment(service)
    _, read = settings_of(service, data_dir)
    read |= read_by_boto3(variables)
    return {name for name in variables if name not in read}


def test_every_variable_set_for_taskloom_is_one_the_program_reads(tmp_path):
    services = project_services(compose())
    assert set(services) == {"taskloom", "worker", "migrate"}
    for name, service in services.items():
        assert unread_variables(service, tmp_path) == set(), name


def test_a_misspelt_variable_is_reported(tmp_path):
    service = project_services(compose())["taskloom"]
    misspelt = {"TASKLOOM_INGESTON_WORKERS": "0", "WEAVIATE_GRPC_PORTS": "50051", "HOSTS": "x"}
    with_typos = {**service, "environment": {**environment(service), **misspelt}}
    assert unread_variables(with_typos, tmp_path) == set(misspelt)


def test_the_settings_accept_the_compose_environment(tmp_path):
    services = project_services(compose())
    weaviate = compose()["services"]["weaviate"]
    settings = {name: settings_of(s, tmp_path)[0] for name, s in services.items()}
    web = settings["taskloom"]
    assert web.production
    assert web.database_url.startswith("postgres://") and "@postgres:5432/" in web.database_url
    assert urlsplit(web.retrieval.weaviate_url or "").hostname == "weaviate"
    assert web.retrieval.weaviate_grpc_host == "weaviate"
    exposed = {str(port) for port in weaviate["expose"]}
    assert {str(urlsplit(web.retrieval.weaviate_url or "").port), "50051"} <= exposed
    assert str(web.retrieval.weaviate_grpc_port) in exposed
    assert web.files.bucket and web.files.endpoint_url == "http://minio:9000"
    # The worker service ingests; the web process runs no ingestion worker of its own.
    assert web.retrieval.ingestion_workers == 0
    assert services["worker"]["command"][:2] == ["taskloom", "worker"]
    for name, other in settings.items():  # one database, one index, one model, one bucket
        assert other.database_url == web.database_url, name
        assert other.jwt_secret == web.jwt_secret, name
        assert dataclasses.replace(other.retrieval, ingestion_workers=0) == web.retrieval, name
        assert other.files == web.files, name
    credentials = EnvProvider(environ=environment(services["worker"])).load()
    assert credentials is not None and credentials.access_key == "taskloom"


def test_cors_origins_come_from_the_dotenv_and_default_to_none(tmp_path):
    def web_origins(dotenv: dict[str, str]) -> tuple[str, ...]:
        service = project_services(compose(dotenv))["taskloom"]
        return settings_of(service, tmp_path)[0].cors_origins

    assert web_origins(sample_dotenv()) == ()
    origins = "https://app.example.com, http://localhost:*"
    dotenv = {**sample_dotenv(), "TASKLOOM_CORS_ORIGINS": origins}
    assert web_origins(dotenv) == ("https://app.example.com", "http://localhost:*")


def test_compose_refuses_to_start_without_a_jwt_secret():
    dotenv = sample_dotenv()
    assert "TASKLOOM_JWT_SECRET" in dotenv
    del dotenv["TASKLOOM_JWT_SECRET"]
    with pytest.raises(MissingVariable, match="TASKLOOM_JWT_SECRET"):
        compose(dotenv)


def test_migrations_run_once_before_anything_serves_or_ingests():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["taskloom", "migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in ("taskloom", "worker"):
        assert "--migrate" not in services[name]["command"]
        waits = services[name]["depends_on"]["migrate"]
        assert waits == {"condition": "service_completed_successfully"}, name


def test_every_dependency_exists_and_is_waited_for_by_its_health_check():
    services = compose()["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: give each dependency a condition"
        for other, how in depends_on.items():
            assert other in services, f"{name} depends on {other}, which is no service"
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[other], f"{other} has no health check"
            else:
                assert how["condition"] == "service_completed_successfully", name
                assert services[other].get("restart") == "no", f"{other} is not a one-shot"
    backends = set(services["taskloom"]["depends_on"]) - {"migrate", "createbuckets"}
    assert backends == {"postgres", "weaviate", "minio"}
    for backend in backends:
        assert services["taskloom"]["depends_on"][backend]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(services["taskloom"]["healthcheck"]["test"])
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert "/v1/.well-known/ready" in " ".join(services["weaviate"]["healthcheck"]["test"])


def test_images_are_pinned_and_volumes_named():
    document = compose()
    for name, service in document["services"].items():
        if "build" not in service:
            tag = service["image"].rsplit(":", 1)[1] if ":" in service["image"] else "latest"
            assert tag != "latest", name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source in document["volumes"], f"{name}: {source} is not a named volume"
    postgres_major = document["services"]["postgres"]["image"].split(":")[1].split(".")[0]
    assert postgres_major.split("-")[0] in {"15", "16"}


def test_the_readme_deploy_section_names_every_variable_compose_needs():
    readme = (ROOT / "README.md").read_text()
    deploy = readme.split("\n## Deploy\n", 1)[1].split("\n## ", 1)[0]
    assert "docker compose up" in deploy
    for name in required_variables():
        assert name in deploy, name
