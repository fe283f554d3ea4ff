"""Ids of the service's own rows: INTEGER columns (the ledger's are BIGINT). A larger
number names no row, and a query with it would overflow on PostgreSQL."""
MAX_ID = 2**31 - 1
