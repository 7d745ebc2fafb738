"""flashpoint: dated news articles in, a source-attributed, geocoded database of political and conflict events out."""

__version__ = "0.1.0"
