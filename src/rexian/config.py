"""Settings read once from the environment: where the database, the models and the data live."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("REXIAN_DATA_DIR", REPO_ROOT / "data"))


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Every field has an environment variable (REXIAN_<NAME>)."""

    home: Path = field(default_factory=lambda: Path(os.environ.get("REXIAN_HOME", REPO_ROOT / "var")))
    database_url: str = ""
    city: str = field(default_factory=lambda: os.environ.get("REXIAN_CITY", "guangzhou"))
    # where citizens reach the portal: the links in their text messages start with it
    public_url: str = field(default_factory=lambda: os.environ.get("REXIAN_PUBLIC_URL", "http://127.0.0.1:8000"))
    data_dir: Path = DATA_DIR

    def __post_init__(self) -> None:
        if not self.database_url:
            url = os.environ.get("REXIAN_DATABASE_URL") or f"sqlite:///{self.home / 'rexian.db'}"
            object.__setattr__(self, "database_url", url)

    @property
    def model_dir(self) -> Path:
        return Path(os.environ.get("REXIAN_MODEL_DIR", self.home / "models"))


def secret_key(settings: Settings) -> str:
    """REXIAN_SECRET_KEY, or one generated once into the home folder (shared by every process)."""
    given = os.environ.get("REXIAN_SECRET_KEY")
    if given:
        return given
    path = settings.home / "secret.key"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def get_settings() -> Settings:
    return Settings()
