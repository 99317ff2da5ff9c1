"""The editable lists (config/defaults/*.yaml), one package: what a list file holds and how it loads.

- :mod:`config.lists.loading`: :class:`Lists` (every list, validated together), :func:`load_lists`,
  :func:`save_list` (an admin's edit, validated before it is written) and the cross-file checks;
- :mod:`config.lists.models`: the model of each file (dispositions, follow-up, notes, reasons, pause
  codes, templates, dialer), on the building blocks of :mod:`config.lists.common`;
- :mod:`config.lists.ivr_menu` (with :mod:`~config.lists.ivr_nodes` and :mod:`~config.lists.ivr_checks`):
  the customers' phone menu; :mod:`config.lists.scorecards`: QA scorecards;
- :mod:`config.lists.rules`: submitted codes checked against the lists (the disposition tree, the
  note fields);
- :mod:`config.lists.files`: YAML with line numbers in its errors, and atomic writes (the compliance
  packs are read through it too).

``from config.lists import Lists, load_lists`` is the way in; no module of this package imports it.
"""

from config.lists.loading import LIST_MODELS, ListName, Lists, cross_check, list_file, load_lists, save_list

__all__ = ["LIST_MODELS", "ListName", "Lists", "cross_check", "list_file", "load_lists", "save_list"]
