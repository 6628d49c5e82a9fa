"""Major hazard installations (重大危险源) with their inventory lines and assessment history."""
