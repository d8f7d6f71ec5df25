"""One module per report format; `grader.instructor.reports.render` picks one."""
