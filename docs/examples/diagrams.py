"""Two diagrams drawn with matplotlib while the site builds: the LSTM cell (its gates,
the two states and where each equation acts) and the backward flow through time."""

import matplotlib.pyplot as plt
from _site import save_figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

TIMES = "$\\times$"
C_STATE, H_STATE, GATE, GRAD = "#3949ab", "#2e7d32", "#fff3e0", "#d84315"


def box(ax, x, y, text, w=1.0, h=0.6, face=GATE, size=13):
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.05",
            fc=face,
            ec="0.3",
            lw=1.2,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=size)


def op(ax, x, y, text, size=15):
    ax.add_patch(plt.Circle((x, y), 0.25, fc="white", ec="0.3", lw=1.2, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=size, zorder=4)


def arrow(ax, start, end, color="0.3", lw=1.6, style="-|>", **kw):
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle=style, mutation_scale=14, color=color, lw=lw, **kw
        )
    )


def cell_diagram():
    fig, ax = plt.subplots(figsize=(8, 5.4))
    ax.set_xlim(-0.6, 10.6)
    ax.set_ylim(-0.9, 6.4)
    ax.axis("off")
    ax.set_aspect("equal")
    ax.add_patch(
        FancyBboxPatch(
            (0.6, 0.4), 8.8, 5.0, boxstyle="round,pad=0.1", fc="#f5f5f5", ec="0.6"
        )
    )
    # The memory line along the top, the hidden state along the bottom.
    y_c, y_h = 4.6, 1.0
    arrow(ax, (-0.4, y_c), (2.75, y_c), C_STATE, 2.6)
    op(ax, 3.0, y_c, TIMES)
    arrow(ax, (3.25, y_c), (5.25, y_c), C_STATE, 2.6)
    op(ax, 5.5, y_c, "+")
    arrow(ax, (5.75, y_c), (10.4, y_c), C_STATE, 2.6)
    ax.text(-0.4, y_c + 0.3, "$c_{t-1}$", color=C_STATE, fontsize=15)
    ax.text(9.7, y_c + 0.3, "$c_t$", color=C_STATE, fontsize=15)
    # z = x W + h U + b, cut into the four gates.
    arrow(ax, (-0.4, y_h), (1.5, y_h), H_STATE, 2.0)
    ax.text(-0.4, y_h - 0.5, "$h_{t-1}$", color=H_STATE, fontsize=15)
    ax.text(1.25, -0.7, "$x_t$", fontsize=15, ha="center")
    arrow(ax, (1.5, -0.4), (1.5, y_h - 0.05), "0.3", 1.6)
    box(
        ax,
        1.5,
        1.0 + 0.55,
        "$z_t = x_t W$\n$+ h_{t-1} U + b$",
        w=1.7,
        h=0.95,
        face="white",
        size=11,
    )
    # Each gate: its name over its activation.
    gates = (
        (3.0, "$f_t$\n$\\sigma$"),
        (4.2, "$i_t$\n$\\sigma$"),
        (5.65, "$g_t$\n$\\tanh$"),
        (7.0, "$o_t$\n$\\sigma$"),
    )
    for x, label in gates:
        box(ax, x, 2.8, label, w=0.8, h=0.8, size=12)
        arrow(ax, (2.35, 1.55), (x, 2.4), "0.55", 1.0, connectionstyle="arc3,rad=0.0")
    # f scales the old memory; i times g is written; o times tanh(c) is shown.
    arrow(ax, (3.0, 3.2), (3.0, y_c - 0.27), "0.3")
    op(ax, 4.9, 3.75, TIMES, size=13)
    arrow(ax, (4.2, 3.2), (4.72, 3.57), "0.3")
    arrow(ax, (5.65, 3.2), (5.08, 3.57), "0.3")
    arrow(ax, (5.1, 3.93), (5.35, y_c - 0.22), "0.3")
    box(ax, 8.1, 3.5, "$\\tanh$", w=0.9, h=0.5, size=12)
    arrow(ax, (8.1, y_c), (8.1, 3.78), C_STATE, 1.6)
    op(ax, 8.1, 2.2, TIMES, size=13)
    arrow(ax, (8.1, 3.23), (8.1, 2.47), "0.3")
    arrow(ax, (7.4, 2.6), (7.85, 2.25), "0.3")
    arrow(ax, (8.1, 1.93), (8.1, y_h + 0.05), H_STATE, 2.0, style="-")
    arrow(ax, (8.1, y_h), (10.4, y_h), H_STATE, 2.0)
    arrow(ax, (9.2, y_h), (9.2, 5.9), H_STATE, 1.6)
    ax.text(9.35, 5.75, "output $h_t$", color=H_STATE, fontsize=13)
    ax.text(9.7, y_h - 0.5, "$h_t$", color=H_STATE, fontsize=15)
    # Where each equation acts.
    ax.text(
        4.25,
        5.7,
        "$c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$",
        fontsize=13,
        ha="center",
        color=C_STATE,
    )
    ax.text(
        6.6,
        1.35,
        "$h_t = o_t \\odot \\tanh(c_t)$",
        fontsize=13,
        ha="center",
        color=H_STATE,
    )
    save_figure(fig, "lstm-cell-diagram")


def highway():
    steps = 4
    fig, ax = plt.subplots(figsize=(8, 4.6))
    ax.set_xlim(-0.3, 3.0 * steps + 0.3)
    ax.set_ylim(-1.5, 4.4)
    ax.axis("off")
    ax.set_aspect("equal")
    y_c, y_h = 3.0, 1.0
    names = ("t-3", "t-2", "t-1", "t")
    for k, name in enumerate(names):
        x = 1.5 + 3.0 * k
        ax.add_patch(
            FancyBboxPatch(
                (x - 1.0, 0.4),
                2.0,
                3.2,
                boxstyle="round,pad=0.05",
                fc="#f5f5f5",
                ec="0.6",
            )
        )
        ax.text(x, 0.05, f"step ${name}$", ha="center", fontsize=12)
        # dc = dc_next + dh * o * tanh'(c): the sum first, then the product with f.
        op(ax, x + 0.6, y_c, "+", size=12)
        op(ax, x - 0.5, y_c, "$\\odot f$", size=11)
        arrow(ax, (x + 0.35, y_c), (x - 0.25, y_c), GRAD, 3.2)
        box(ax, x - 0.2, 2.0, "gates,\n$U^\\top$", w=1.1, h=0.7, size=11)
        # From c down through tanh' and the gates into h of the step before.
        arrow(ax, (x + 0.45, y_c - 0.2), (x - 0.05, 2.37), GRAD, 1.2)
        arrow(ax, (x - 0.3, 1.63), (x - 0.3, y_h + 0.1), GRAD, 1.2)
        # From h up into c: the share of dh that c receives through h = o tanh(c).
        arrow(ax, (x + 0.6, y_h + 0.05), (x + 0.6, y_c - 0.25), GRAD, 1.2)
    for k in range(steps):
        x = 1.5 + 3.0 * k
        # Along c: only an element-wise product with the forget gate.
        arrow(ax, (x + 3.0 - 0.75, y_c), (x + 0.85, y_c), GRAD, 3.2)
        arrow(ax, (x + 3.0 - 0.6, y_h), (x - 1.1, y_h), GRAD, 1.2, linestyle="--")
    ax.text(
        0.0,
        y_c + 0.8,
        "$\\delta c$: multiplied only by $f$ at each step",
        color=GRAD,
        fontsize=13,
    )
    ax.text(
        0.0,
        -0.75,
        "$\\delta h$ (dashed): through $U^\\top$ and the gates' derivatives;",
        color=GRAD,
        fontsize=11,
    )
    ax.text(
        0.0,
        -1.3,
        "at each step it also joins $\\delta c$, times $o \\odot \\tanh'(c)$ "
        "(up arrows)",
        color=GRAD,
        fontsize=11,
    )
    save_figure(fig, "bptt-highway")


cell_diagram()
highway()
