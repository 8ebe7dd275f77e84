"""Cluster sources: where the dashboard's picture of the cluster comes from."""
