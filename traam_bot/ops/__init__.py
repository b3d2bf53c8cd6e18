"""Operations: the HTTP listener for health checks (and, later, metrics)."""
