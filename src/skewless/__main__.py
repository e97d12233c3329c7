"""`python -m skewless` runs the command line."""

from skewless.cli import main

if __name__ == "__main__":
    main()
