"""Node metrics from psutil, shared by the embedded-default dashboard and the agent."""
