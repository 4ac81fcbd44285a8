"""Output of the comparisons: figures (:mod:`mesasym.report.plots`, matplotlib, optional) and the
standalone LaTeX documents of the derivation (:mod:`mesasym.report.latex`).
"""
