"""The notebook widgets of workbench: the only package that imports ipywidgets or anywidget."""
