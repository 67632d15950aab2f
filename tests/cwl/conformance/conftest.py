"""The official conformance suite copied here is data for cwltest, not tests of this project:
pytest must not collect the helper scripts it ships (they need packages this project does not use)."""
collect_ignore_glob = ["cwl-v1.2/*"]
