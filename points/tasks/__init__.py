"""群众点单 → 组织建单 → 志愿者接单: residents' requests become tasks volunteers claim and earn points for."""
