"""Coverage-guided fuzz targets (atheris); `make fuzz` runs them. Not part of CI."""
