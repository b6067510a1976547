"""How every lab draws: its own figure, redrawn when a control changes, shown as one PNG.

Shared by the widget labs (widgets.py) and lesson 12's driver lab (driverlab.py): a figure
outside pyplot's state, rendered once per change, so a redraw costs one Agg draw and one PNG.
"""

import io

import ipywidgets as W
from IPython.display import Image, clear_output, display


def new_figure(figsize=None):
    """A figure with its own Agg canvas, whose renderer keeps text sizes from redraw to redraw."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return FigureCanvasAgg(Figure(figsize=figsize)).figure


def redraw_on_change(controls, action) -> None:
    """Call *action()* whenever any of *controls* changes value."""
    for control in controls:
        control.observe(lambda _change: action(), names="value")


def show_figure(out: W.Output, figure, text: str = "") -> None:
    """Render *figure* to PNG once and put it (and *text*) in *out*."""
    import matplotlib
    from PIL import Image as PILImage  # (Pillow comes with matplotlib)

    canvas = figure.canvas
    with matplotlib.rc_context({"text.hinting": "none"}):  # unhinted glyphs draw ~15% faster
        canvas.draw()
    rgba = PILImage.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    png = io.BytesIO()
    rgba.convert("RGB").save(png, format="png", compress_level=1)  # opaque: drop the alpha
    with out:
        clear_output(wait=True)
        display(Image(data=png.getvalue(), format="png"))
        if text:
            print(text)


__all__ = ["new_figure", "redraw_on_change", "show_figure"]
