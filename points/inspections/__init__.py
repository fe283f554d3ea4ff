"""文明积分: monthly household inspections per grid, crediting households that pass."""
