"""Parsers turn files into plain data plus the problems met while reading; they never judge."""
