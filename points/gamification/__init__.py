"""Levels, badges, streaks and leaderboards: status from earned work, never spendable."""
