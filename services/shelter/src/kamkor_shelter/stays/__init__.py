"""Stays: a family's beds from arrival to departure; occupied beds are counted from them."""
