"""Where the templates and static files are, in a checkout or inside nexus.pyz."""

from pathlib import Path

# templates/ and static/ sit beside the nexuslite package: at the top of a checkout,
# and in the site-packages of the venv that nexus.pyz unpacks into its cache (the
# builder ships them as top-level folders), so one rule finds them everywhere.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
