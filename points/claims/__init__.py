"""Claims for work done alone, with photos, and their approval (one or two approvers)."""
