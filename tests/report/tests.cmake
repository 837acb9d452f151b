# The report tests run the real `jouleval` program (report, export, recommend, merge) on databases
# they write, and bench/tables.py on them.
if(TARGET test_report)
  add_dependencies(test_report jouleval_cli)
endif()
