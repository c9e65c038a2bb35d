"""Reports for the privacy team and the regulator: the yearly compliance metrics, the request
register and the record of processing activities (GDPR Art. 30), as CSV, JSON or PDF.

`metrics` and `processing_record` compute from plain values; `queries` reads the rows they
need; `register` and `render` write the files.
"""
