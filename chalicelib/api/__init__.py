"""HTTP entry points: one Blueprint per audience and one error mapping (`http.py`)."""
