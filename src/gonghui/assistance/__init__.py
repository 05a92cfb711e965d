"""困难职工帮扶: hardship files, grading, notice and approval, help paid once, yearly review, lifting out."""
