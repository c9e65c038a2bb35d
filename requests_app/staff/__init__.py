"""The privacy team's web UI: dashboard, queue and request pages, behind login and roles.

Views are thin: they check permission (``permissions``), read through ``selectors``, and
change things only through ``services`` and ``workflow`` (``actions`` lists what may be done
to a request and how). Pages work without JavaScript.
"""
