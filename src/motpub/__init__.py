"""motpub: physical things become media."""
