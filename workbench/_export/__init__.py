"""Transcripts and usage to pandas, JSONL and Parquet, and back (being built)."""
