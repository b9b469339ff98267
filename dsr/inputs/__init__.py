"""Inputs: spreadsheets and CSVs ▶ checked, normalised values; every problem collected."""

from dsr.inputs.detachment import Brigade, Detachment, load_detachment
from dsr.inputs.reader import CheckedInputs, OneInput, SourceFile, UnitTally, check_inputs, read_inputs, read_one

__all__ = [
    "Brigade",
    "CheckedInputs",
    "Detachment",
    "OneInput",
    "SourceFile",
    "UnitTally",
    "check_inputs",
    "load_detachment",
    "read_inputs",
    "read_one",
]
