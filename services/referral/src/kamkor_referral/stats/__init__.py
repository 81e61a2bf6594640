"""Figures about the referrals as a whole: gauges for operators, aggregates for analysts."""
