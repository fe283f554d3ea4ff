"""Activities (events): publishing, sign-up with a waitlist, QR check-in, attendance."""
