"""Inputs: spreadsheets and CSVs ▶ checked, normalised values; every problem collected."""
