"""Image readers: each turns an input file into an ImageSource."""
