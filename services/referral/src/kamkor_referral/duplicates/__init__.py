"""Following the registry's merges of duplicate households."""
