# Sphinx configuration of the course website (`make site`, rnncourse/grading/site.py).
# The pages are the solutions edition, executed by site.py before Sphinx runs: Sphinx only renders.
project = "Generate names with recurrent neural networks"
author = "the course's authors"
copyright = "the course's authors"

extensions = ["myst_nb"]
nb_execution_mode = "off"        # executed (and checked for errors) by site.py, once
nb_output_stderr = "remove"      # library notices; an error in a cell fails the build before this
myst_enable_extensions = ["dollarmath", "amsmath", "html_image"]  # the notebooks' LaTeX, and <img> tags as images
myst_heading_anchors = 3         # #anchors for links to sections

html_theme = "alabaster"         # Sphinx's own theme: nothing more to install or download
html_title = project
html_theme_options = {"description": "An open course: character-level RNNs in NumPy, Keras and PyTorch",
                      "page_width": "1100px", "sidebar_width": "240px"}
html_show_sourcelink = False
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
