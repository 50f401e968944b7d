"""Reports beyond single questions, built on the answering stages (retrieval, abstention, citations):

* ``kfqa.qa.reports.ledger``   - every reviewer request in a review thread and what became of it;
* ``kfqa.qa.reports.coverage`` - an assessment against TAG Security's self-assessment template.
"""
