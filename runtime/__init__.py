"""What every process needs at run time, below every other package but domain's error tree: structured
logging (:mod:`runtime.logging`) and the task supervisor (:mod:`runtime.supervisor`)."""
