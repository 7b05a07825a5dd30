"""The hflineage command line (Click): parse, call hflineage.loader, format."""
