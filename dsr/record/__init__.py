"""Record: draw result ▶ witnessed documents (HTML, PDF/A), signatures, and verification."""
