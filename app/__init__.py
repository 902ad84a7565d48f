"""The dexgate application: settings, HTTP layer and command line."""
