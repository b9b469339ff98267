"""The ceremony face: one witnessed batch of draws for a whole detachment (`dsr batch`)."""
