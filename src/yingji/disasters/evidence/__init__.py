"""Evidence beside the reported figures: earthquake assessment, shelters, population, ledgers."""
