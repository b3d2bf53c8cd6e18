"""Configuration: config/bot.yaml (settings) and the directory file (projects, contacts)."""

from traam_bot.config.directory import contact_id, load_directory, parse_directory
from traam_bot.config.files import ConfigError, ConfigFileError
from traam_bot.config.settings import (
    DatabaseSettings,
    HolidaysSettings,
    HttpSettings,
    LimitsSettings,
    LoggingSettings,
    MatrixSettings,
    OutboxSettings,
    Settings,
    load_settings,
    parse_settings,
)

__all__ = [
    "ConfigError",
    "ConfigFileError",
    "DatabaseSettings",
    "HolidaysSettings",
    "HttpSettings",
    "LimitsSettings",
    "LoggingSettings",
    "MatrixSettings",
    "OutboxSettings",
    "Settings",
    "contact_id",
    "load_directory",
    "load_settings",
    "parse_directory",
    "parse_settings",
]
