"""Events in: schema, readers, normalisation, identity stitching, quarantine, demo data."""
