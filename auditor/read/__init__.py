"""Reading documents, tables, prose and values: no source-specific words live here."""
