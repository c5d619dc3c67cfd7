"""A creator's showcase (their public tab, /@handle), Creator Center's home and videos."""
