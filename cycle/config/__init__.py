"""Configuration: load and validate config.toml into frozen settings (SPEC §3)."""

from cycle.config.loader import ConfigError, load, resolve_path, smtp_password

__all__ = ["ConfigError", "load", "resolve_path", "smtp_password"]
