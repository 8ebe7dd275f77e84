"""The example /etc/nexus/services.yml written on workers when none exists.

Every line is a comment, so a fresh worker runs nothing until the operator says so;
removing the leading "# " of the example lines gives a valid file.
"""

EXAMPLE = """\
# Services the NexusLite agent on this node runs, registers in Consul and restarts.
# Uncomment and edit, then: systemctl reload nexus-agent
#
# Short form, name: [program, arguments...]
# hello: [/usr/bin/python3, -m, http.server, "8080", --bind, 127.0.0.1]
#
# Full form (every key: README, "The node agent"):
# api:
#   command: /opt/api/bin/api --port 8081
#   restart: on-failure
#   consul:
#     port: 8081
#     check: {http: "http://127.0.0.1:8081/healthz", interval: 10s}
"""
