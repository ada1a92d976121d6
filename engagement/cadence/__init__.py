"""The cadence: the rule of contact status (``rule``), each executive's customer contacts kept as a
ledger (``ledger``), and the reads of where executives stand (``selectors``)."""
