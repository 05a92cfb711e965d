"""Collective bargaining (集体协商): rounds with the law's deadlines, contracts in force, coverage, 能级工资."""
