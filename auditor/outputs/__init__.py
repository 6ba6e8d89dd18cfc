"""Rendering: terminal tables, JSON, the subject report, the digest and Datasette metadata.
Outputs render what the rules decided; they never judge."""
