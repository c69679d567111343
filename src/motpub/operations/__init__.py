"""Operations: health and readiness probes, metrics, backups and restores."""
