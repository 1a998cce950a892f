"""PayCase: complaint-and-dispute backend for a payment wallet."""
