"""Allow ``python -m nexuslite``."""

from nexuslite.cli import main

if __name__ == "__main__":
    main()
