"""Work safety (安全生产): enterprises, major hazard installations (GB 18218-2018), major accident hazards
determined by the official standards, and their rectification to closure (隐患排查治理, 动态清零)."""
