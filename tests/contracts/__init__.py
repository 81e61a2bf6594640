"""Contract tests: a package, so that the package-scoped platform ends with the folder."""
