"""Partner shops: offers, vouchers, scanning, redemption and settlement."""
