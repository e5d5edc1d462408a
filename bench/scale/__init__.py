"""The 100,000-case scale dataset (bulk-loaded into PostgreSQL, cached as a dump) and the
read benchmark that times the console's page-level reads on it (``make bench-scale``)."""
