"""The pure core: values in, values out. No file I/O, no clock, no global RNG."""
