"""DAIA (Document Availability Information API) at ``GET /daia``: availability for discovery
layers such as VuFind's DAIA driver, built from one anonymous availability call per member."""
