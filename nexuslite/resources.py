"""Where the templates and static files are, in a checkout or inside nexus.pyz."""

from pathlib import Path

# templates/ and static/ sit beside the nexuslite package, both in a checkout and in
# the unpacked zipapp, so one rule finds them everywhere.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
