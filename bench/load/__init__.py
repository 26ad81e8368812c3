"""Load test of the production server (`make load`, see bench/load/README.md)."""
