"""The MLPerf Endpoints suite: standalone Endpoints submissions (Pareto curves of measurement points)."""
