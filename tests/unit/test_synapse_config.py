"""The throwaway Synapse's rate limits: relaxed for tests, single ones kept or set."""

from __future__ import annotations

from pathlib import Path

from traam_bot.devtools.synapse_config import (
    fresh_config,
    override_rate_limits,
    relax_rate_limits,
)


def test_a_kept_limit_falls_back_to_synapses_default_and_others_stay_relaxed(
        tmp_path: Path) -> None:
    config = fresh_config(tmp_path, "localhost", 8008)
    relax_rate_limits(config)
    assert config["rc_message"]["per_second"] >= 1000
    override_rate_limits(config, {"rc_message": None,
                                  "rc_login.address": {"per_second": 1, "burst_count": 5}})
    assert "rc_message" not in config  # Synapse applies its own (0.2/s, burst 10)
    assert config["rc_login"]["address"] == {"per_second": 1, "burst_count": 5}
    assert config["rc_login"]["account"]["per_second"] >= 1000
    assert config["rc_joins"]["local"]["per_second"] >= 1000
    override_rate_limits(config, {"rc_message": {"per_second": 0.5, "burst_count": 4}})
    assert config["rc_message"] == {"per_second": 0.5, "burst_count": 4}
