"""The hflineage command line (Click): parse, call the public API (hflineage.api), format."""
