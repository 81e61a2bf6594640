"""Finding people by name across Cyrillic and Latin spellings."""
