"""一公开: results entry and review, the public disclosure site, deadlines and the credit export."""
