# %% [markdown]
# # Gradient descent by hand
#
# Gradient descent is a simple idea: stand somewhere on a function, find the direction in which it
# falls fastest, take a small step that way, and repeat. This notebook builds it from the ground up,
# *by hand*: every idea is first written out in a few lines of plain NumPy, then checked against
# [descentlab](../README.md), the library that does the same job carefully, and the two must agree.
#
# The story:
#
# 1. **The derivative**, from its definition, and why a tiny step is not always a better one.
# 2. **The gradient**: partial derivatives, and the exact gradient by reverse-mode autodiff.
# 3. **Gradient descent** on a function with two valleys, where it gets stuck, and three remedies.
# 4. **The learning rate**: too small, right, oscillating, diverging.
# 5. **Many variables**: a bumpy surface, multi-start and basins of attraction.
# 6. **Beyond plain descent**: momentum, Nesterov, AdaGrad, RMSProp, Adam and line search.
# 7. **Your own function**, as a formula or as Python code.
#
# Every number and picture below is computed when the notebook runs.

# %%
# %matplotlib inline
import atexit
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image

import descentlab as dl
from descentlab import animate, engine
from descentlab.derivatives import autodiff, finite

# Animations are written to a temporary folder (removed when the kernel stops), then shown inline.
WORK = Path(tempfile.mkdtemp(prefix="descentlab-notebook-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)


def show(scene, name):
    # Display a scene (as a GIF) or a still picture (as a PNG) inline.
    suffix = ".png" if isinstance(scene, animate.Still) else ".gif"
    path = scene.save(WORK / f"{name}{suffix}", quiet=True)
    return Image(data=path.read_bytes())


print(f"descentlab {dl.__version__}, NumPy {np.__version__}")

# %% [markdown]
# ## 1. The derivative, by its definition
#
# The derivative of $f$ at $x$ is the slope of the curve there. We cannot measure the slope at a
# single point, but we can measure the slope of a **secant**, the line through two points of the
# curve, and let the second point slide towards the first:
#
# $$
# f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}.
# $$
#
# Watch the secant of $f(x) = 1 + x^2$ through $x_0 = -1$ turn into the tangent, whose slope is
# $f'(-1) = -2$. (The step $h$ shrinks but never reaches 0: at $h = 0$ the quotient would be
# $0/0$.)

# %%
show(animate.derivative("1 + x^2", x0=-1.0, x1=3.0, frames=30, size=(800, 400)), "derivative")


# %% [markdown]
# A computer cannot take a limit, so it stops at a small but finite $h$. That gives the
# **forward difference** (the definition, frozen at some $h$) and its symmetric cousin, the
# **central difference**:
#
# $$
# D_+ f(x) = \frac{f(x + h) - f(x)}{h},
# \qquad
# D_0 f(x) = \frac{f(x + h) - f(x - h)}{2h}.
# $$
#
# Take the function this whole notebook is about, the quartic of the original notebook,
#
# $$
# f(x) = 3x^4 + 4x^3 - 12x^2 + 7, \qquad f'(x) = 12x^3 + 12x^2 - 24x,
# $$
#
# and estimate $f'(3) = 360$ both ways, by hand.


# %%
def f(x):
    return 3 * x**4 + 4 * x**3 - 12 * x**2 + 7


def df(x):
    return 12 * x**3 + 12 * x**2 - 24 * x


x0 = 3.0
print(f"exact f'(3) = {df(x0)}")
print(f"{'h':>8} {'forward':>16} {'error':>10} {'central':>16} {'error':>10}")
for h in [1e-1, 1e-2, 1e-3, 1e-4]:
    forward = (f(x0 + h) - f(x0)) / h
    central = (f(x0 + h) - f(x0 - h)) / (2 * h)
    print(
        f"{h:8.0e} {forward:16.10f} {abs(forward - df(x0)):10.2e}"
        f" {central:16.10f} {abs(central - df(x0)):10.2e}"
    )

# %% [markdown]
# Each time $h$ shrinks tenfold, the forward error shrinks tenfold (it is of order $h$) and the
# central error a hundredfold (order $h^2$): the central difference cancels the curvature term.
#
# descentlab's `finite.derivative` computes the same quotients. It divides by the step actually
# taken, $(x + h) - x$, rather than by $h$ itself (they differ by a rounding error), so we check
# agreement to a relative $10^{-9}$ rather than bit for bit. The library also knows $f'$ exactly,
# by differentiating the formula's tree.

# %%
quartic = dl.Objective.from_formula("3x^4 + 4x^3 - 12x^2 + 7")
for h in [1e-1, 1e-2, 1e-3, 1e-4]:
    by_hand = (f(x0 + h) - f(x0)) / h, (f(x0 + h) - f(x0 - h)) / (2 * h)
    library = (
        finite.derivative(f, x0, method="forward", h=h),
        finite.derivative(f, x0, method="central", h=h),
    )
    assert np.allclose(by_hand, library, rtol=1e-9, atol=0)
print("forward and central differences agree with descentlab's at every h")
print("symbolic derivative:", dl.diff(quartic.tree, "x"))
print("exact f'(3) from autodiff:", quartic.grad([x0])[0])

# %% [markdown]
# ### Why $h = 10^{-12}$ is worse than $h = 10^{-6}$
#
# If smaller is better, why not $h = 10^{-12}$? Because the computer stores numbers with about 16
# significant digits (the machine epsilon is $\varepsilon \approx 2.2 \times 10^{-16}$). The error
# of the forward difference has two parts pulling in opposite directions:
#
# $$
# \text{error}(h) \approx
# \underbrace{\tfrac{1}{2} |f''(x)|\, h}_{\text{truncation}}
# + \underbrace{\frac{\varepsilon\, |f(x)|}{h}}_{\text{round-off}}.
# $$
#
# Truncation is the price of stopping short of the limit; round-off comes from subtracting two
# nearly equal numbers $f(x+h)$ and $f(x)$, which cancels their leading digits. At $x = 3$,
# $f = 250$ and $f'' = 372$: the estimate below says the error is smallest near
# $h^\ast = \sqrt{2 \varepsilon |f| / |f''|} \approx 10^{-8}$.

# %%
eps = np.finfo(float).eps
f2 = 36 * x0**2 + 24 * x0 - 24  # f''(x)
for h in [1e-6, 1e-12]:
    measured = abs((f(x0 + h) - f(x0)) / h - df(x0))
    predicted = 0.5 * f2 * h + eps * abs(f(x0)) / h
    print(f"h = {h:.0e}: error {measured:.2e} (truncation + round-off estimate {predicted:.2e})")
print(f"best h, about {np.sqrt(2 * eps * abs(f(x0)) / f2):.1e}")

# %% [markdown]
# Sweeping $h$ over fifteen decades draws the whole story: a V on a log-log plot. The forward
# difference falls with slope 1, the central with slope 2, until round-off takes over and both rise
# again with slope $-1$. The **complex step**, $\operatorname{Im} f(x + ih)/h$, involves no
# subtraction at all, so it has no round-off arm: it is exact to the last digit even at
# $h = 10^{-15}$.

# %%
from descentlab.animate import fd_error

methods = ("forward", "central", "complex")
show(fd_error(quartic.formula, at=x0, methods=methods, size=(700, 440)), "fd-error")


# %% [markdown]
# ## 2. The gradient
#
# A function of several variables has one derivative per variable, the **partial derivatives**:
# freeze all variables but one and differentiate along it. Stacked into a vector they form the
# **gradient**,
#
# $$
# \nabla f(x, y) = \begin{pmatrix} \partial f / \partial x \\ \partial f / \partial y \end{pmatrix},
# \qquad
# \frac{\partial f}{\partial x} = \lim_{h \to 0} \frac{f(x + h, y) - f(x, y)}{h}.
# $$
#
# The gradient points in the direction of steepest ascent, so $-\nabla f$ points downhill. By hand,
# for $f(x, y) = xy + \sin x$ at $(2, 3)$: nudge one coordinate at a time.


# %%
def g(p):
    x, y = p
    return x * y + np.sin(x)


point = np.array([2.0, 3.0])
h = 1e-6
partials = np.zeros(2)
for i in range(2):
    nudged = point.copy()
    nudged[i] += h
    partials[i] = (g(nudged) - g(point)) / h
print("partial derivatives by definition:", partials)

library = dl.gradient(lambda P: P[:, 0] * P[:, 1] + np.sin(P[:, 0]), point, method="forward", h=h)
assert np.allclose(partials, library, rtol=1e-8)
print("descentlab's forward differences:  ", library)

# %% [markdown]
# ### The exact gradient: reverse mode, node by node
#
# Finite differences cost one extra evaluation per variable and are never exact. **Reverse-mode
# automatic differentiation** gets every partial derivative exactly, in one backward sweep over the
# formula's tree. The formula $f = xy + \sin x$ is this tree:
#
# ```
#         f = a + b
#         /        \
#    a = x * y   b = sin(x)
#     /    \         |
#    x      y        x
# ```
#
# 1. **Forward pass**: evaluate the nodes from the leaves up, and keep every value.
# 2. **Backward pass**: give each node an *adjoint* $\bar v = \partial f / \partial v$. Start with
#    $\bar f = 1$ and walk the tree from the root down. Each node passes its adjoint to its inputs,
#    multiplied by its local derivative (the chain rule): for $a = x \cdot y$,
#    $\bar x \mathrel{+}= \bar a \cdot y$ and $\bar y \mathrel{+}= \bar a \cdot x$; for
#    $b = \sin x$, $\bar x \mathrel{+}= \bar b \cos x$.
#
# The contributions **add up** ($+=$): $x$ feeds two nodes, so its adjoint collects two terms.

# %%
x, y = 2.0, 3.0

# Forward pass: values from the leaves up.
a = x * y
b = np.sin(x)
f_xy = a + b

# Backward pass: adjoints from the root down.
f_bar = 1.0
a_bar = f_bar * 1.0  # f = a + b: df/da = 1
b_bar = f_bar * 1.0  # df/db = 1
x_bar = a_bar * y  # a = x * y: da/dx = y
y_bar = a_bar * x  # da/dy = x
x_bar += b_bar * np.cos(x)  # b = sin(x): db/dx = cos(x), added to x's first contribution

print(f"{'node':<12} {'value':>10} {'adjoint':>10}")
for name, value, adjoint in [
    ("f = a + b", f_xy, f_bar),
    ("a = x * y", a, a_bar),
    ("b = sin(x)", b, b_bar),
    ("x", x, x_bar),
    ("y", y, y_bar),
]:
    print(f"{name:<12} {value:10.6f} {adjoint:10.6f}")

# %% [markdown]
# descentlab does exactly this, for any formula. It parses the text into the same tree and
# *lowers* it once to a flat program: one row per node, children before parents, each row naming
# its operation and the rows it reads. Running the rows top to bottom is the forward pass; running
# them bottom to top, each adding its adjoint times its local derivative to the rows it read, is
# the backward pass. One compiled interpreter runs every program, over many points at once.

# %%
tree = dl.parse("x*y + sin(x)")
program = engine.lower(tree, ["x", "y"])
for slot, (op, a_slot, b_slot) in enumerate(program.code.tolist()):
    print(slot, engine.OPS[op].name, a_slot, b_slot if engine.OPS[op].arity == 2 else "")

value, grad = autodiff.value_and_grad(tree, ["x", "y"], [x, y])
assert np.isclose(value, f_xy) and np.allclose(grad, [x_bar, y_bar])
print(f"descentlab: f = {value:.6f}, gradient = {grad}")

# %% [markdown]
# ### The gradient field
#
# Draw $-\nabla f$ as arrows over the contour lines (the *level sets*, where $f$ is constant) of
# $f(x, y) = x^2 + 3y^2$. Every arrow crosses its level set at a right angle: along a level set
# $f$ does not change, so the direction of fastest change is perpendicular to it.

# %%
from descentlab.animate import field

bowl = dl.Objective.from_formula("x^2 + 3y^2")
show(field(bowl, arrows=13, size=(480, 450)), "field")


# %% [markdown]
# ### Checking a gradient
#
# A hand-written gradient is easy to get subtly wrong. `check_grad` compares it with central
# differences and returns the largest difference: about $10^{-8}$ or less means it is right,
# anything of order 1 means it is not. Here is a correct gradient of $x^2 + 3y^2$, and one with a
# classic slip (forgetting the 2 of $3y^2$).


# %%
def bowl_value(P):
    return P[:, 0] ** 2 + 3 * P[:, 1] ** 2


def right_grad(P):
    return np.column_stack([2 * P[:, 0], 6 * P[:, 1]])


def wrong_grad(P):
    return np.column_stack([2 * P[:, 0], 3 * P[:, 1]])


at = [[0.5, -1.0], [1.5, 2.0]]
print(f"right gradient:    max error {dl.check_grad(bowl_value, right_grad, at):.1e}")
print(f"wrong gradient:    max error {dl.check_grad(bowl_value, wrong_grad, at):.1e}")
print(f"autodiff gradient: max error {dl.check_grad(bowl, x=at):.1e}")

# %% [markdown]
# ## 3. Gradient descent
#
# Since $-f'(x)$ points downhill, step that way, a little at a time:
#
# $$
# x_{k+1} = x_k - \eta\, f'(x_k).
# $$
#
# Every gradient descent is made of the same seven elements:
#
# | element | here |
# |---|---|
# | **objective** function | $f(x) = 3x^4 + 4x^3 - 12x^2 + 7$ |
# | its **gradient** | $f'(x) = 12x^3 + 12x^2 - 24x$ |
# | **learning rate** $\eta$ | $0.001$ |
# | **update rule** | $x_{k+1} = x_k - \eta f'(x_k)$ |
# | **convergence criteria** | $\lvert f'(x_k) \rvert < 10^{-12}$, or at most 100 000 iterations |
# | **iteration** | repeat the update until a criterion is met |
# | **initial guess** | $x_0 = 3$ |
#
# This $f$ has two valleys: the global minimum at $x = -2$ ($f = -25$) and a local one at $x = 1$
# ($f = 2$), with a hump at $x = 0$ between them. Here is the whole algorithm by hand:

# %%
x, lr, tol, max_iter = 3.0, 0.001, 1e-12, 100_000  # initial guess, learning rate, criteria
k = 0
while k < max_iter and abs(df(x)) >= tol:  # convergence criteria
    x = x - lr * df(x)  # update rule, with the gradient
    k += 1  # iteration
print(f"by hand: stopped after {k} iterations at x = {x:.4f}, f(x) = {f(x):.4f}")

# %% [markdown]
# It converged, but to the **local** minimum $x = 1$: starting at $x_0 = 3$ the descent slides into
# the nearest valley and stops, because the slope at its bottom is zero. Gradient descent only ever
# sees the ground under its feet.
#
# descentlab's `minimize` is the same loop (with more careful bookkeeping: statuses, divergence
# checks, a recorded trajectory). It gives the same answer in the same number of iterations:

# %%
result = dl.minimize(quartic, [3.0], dl.gd(lr=0.001), grad_tol=1e-12, max_iter=100_000)
print(f"descentlab: x = {result.x[0, 0]:.4f}, f(x) = {result.fun[0]:.4f}")
print(result.message[0])
assert result.nit[0] == k and np.isclose(result.x[0, 0], x, rtol=1e-12)

# %%
show(animate.descent_1d(quartic, start=3.0, frames=40, size=(800, 320)), "stuck")

# %% [markdown]
# ### Three remedies
#
# How do we reach the global minimum at $x = -2$?
#
# 1. **A new initial guess**: start at $x_0 = -3$, in the other valley.
# 2. **A larger learning rate**: $\eta = 0.01$ from $x_0 = 3$. The first steps are so long that
#    the point jumps over the local valley.
# 3. **Multi-start**: run from several initial guesses ($-3$, $0.5$, $4$) and keep the best end.
#
# The real iteration counts:

# %%
new_start = dl.minimize(quartic, [-3.0], dl.gd(lr=0.001), grad_tol=1e-12, max_iter=100_000)
larger_lr = dl.minimize(quartic, [3.0], dl.gd(lr=0.01), grad_tol=1e-12, max_iter=100_000)
multi = dl.minimize(
    quartic, [[-3.0], [0.5], [4.0]], dl.gd(lr=0.001), grad_tol=1e-12, max_iter=100_000
)

print(
    "new initial guess   x0 = -3, lr = 0.001: "
    f"x = {new_start.x[0, 0]:.4f} after {new_start.nit[0]} iterations"
)
print(
    "larger lr           x0 = 3,  lr = 0.01:  "
    f"x = {larger_lr.x[0, 0]:.4f} after {larger_lr.nit[0]} iterations"
)
for start, end, nit in zip([-3.0, 0.5, 4.0], multi.x[:, 0], multi.nit, strict=True):
    print(f"multi-start         x0 = {start:<4g} lr = 0.001: x = {end:.4f} after {nit} iterations")
best = multi.best
print(f"multi-start keeps the best end: x = {multi.x[best, 0]:.4f}, f = {multi.fun[best]:.4f}")

# %%
from descentlab.animate.remedies import remedies

show(remedies(quartic, frames=45, size=(1200, 340)), "remedies")

# %% [markdown]
# ## 4. The learning rate
#
# The learning rate $\eta$ decides everything. Take the simplest valley, $f(x) = \frac{L}{2} x^2$,
# whose curvature is $f'' = L$. One step gives
#
# $$
# x_{k+1} = x_k - \eta L x_k = (1 - \eta L)\, x_k
# \qquad\Longrightarrow\qquad
# x_k = (1 - \eta L)^k\, x_0 .
# $$
#
# So the error shrinks by the factor $|1 - \eta L|$ per step:
#
# * $0 < \eta < 1/L$: the factor is between 0 and 1, a slow, steady slide (too small is slow);
# * $\eta = 1/L$: the factor is 0, one step lands exactly on the minimum;
# * $1/L < \eta < 2/L$: the factor is negative, the point **oscillates** across the valley while
#   closing in;
# * $\eta > 2/L$: $|1 - \eta L| > 1$, every step overshoots more: it **diverges**.
#
# The edge is $\eta = 2/L$. With $L = 4$ ($f = 2x^2$), it sits at $\eta = 0.5$:

# %%
L = 4.0
steps = 12
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
for lr in [0.05, 0.25, 0.45, 0.52]:
    xk = [1.0]
    for _ in range(steps):
        xk.append(xk[-1] - lr * L * xk[-1])
    ax.plot(xk, "o-", ms=4, label=rf"$\eta$ = {lr}  (factor {1 - lr * L:+.2f})")
ax.axhline(0, color="gray", lw=0.8)
ax.set(
    xlabel="iteration $k$",
    ylabel="$x_k$",
    ylim=(-2.5, 2.5),
    title=r"Gradient descent on $2x^2$ from $x_0 = 1$",
)
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8)  # beside: hides no point
plt.show()

# %% [markdown]
# Sweeping the learning rate finely shows all three regimes after 50 steps: far below $1/L$ the
# descent is merely slow, near $1/L$ it is at the minimum to machine precision, and past $2/L$ it
# explodes. How slow is slow? After $k$ steps $f = 2 x_k^2 = 2 (1 - \eta L)^{2k}$: at
# $\eta = 0.005$ that is $2 \cdot 0.98^{100} \approx 0.27$, still a quarter of the way from the
# start. The cell after the plot checks that number against the run.

# %%
from descentlab.animate import lr_sweep

square = dl.Objective.from_formula("2x^2")
lrs = np.geomspace(0.005, 0.6, 48)
show(lr_sweep(square, start=[[1.0]], lrs=lrs, max_iter=50, size=(820, 420)), "lr-sweep")

# %%
slow = dl.minimize(square, [1.0], dl.gd(lr=0.005), max_iter=50, grad_tol=0)
theory = 2 * (1 - 0.005 * L) ** (2 * 50)
assert np.isclose(slow.fun[0], theory, rtol=1e-12)
print(f"lr = 0.005 after 50 steps: f = {slow.fun[0]:.4f} (theory 2 * 0.98^100 = {theory:.4f})")

# %% [markdown]
# ### The measured rate against the theory
#
# Theory says each step multiplies the error by $|1 - \eta L|$. Measure it: run descentlab's
# gradient descent on $2x^2$, record every iterate, and divide successive errors
# $|x_{k+1} - 0| / |x_k - 0|$.

# %%
print(f"{'lr':>6} {'measured ratio':>15} {'theory |1 - lr L|':>18}  behaviour")
for lr in [0.05, 0.2, 0.4, 0.45, 0.55]:
    run = dl.minimize(square, [1.0], dl.gd(lr=lr), max_iter=20, grad_tol=0, record=True)
    path = np.abs(run.trajectory.xs[:, 0, 0])
    ratio = np.median(path[1:] / path[:-1])
    theory = abs(1 - lr * L)
    assert np.isclose(ratio, theory, rtol=1e-9)
    behaviour = "slides" if lr < 1 / L else "diverges" if lr > 2 / L else "oscillates"
    print(f"{lr:6.2f} {ratio:15.6f} {theory:18.6f}  {behaviour}")

# %% [markdown]
# ## 5. Many variables
#
# Nothing changes with more variables: the derivative becomes the gradient and the update rule
# becomes a vector update,
#
# $$
# \mathbf{x}_{k+1} = \mathbf{x}_k - \eta\, \nabla f(\mathbf{x}_k).
# $$
#
# The original notebook's surface is bumpy, with several valleys:
#
# $$
# f(x, y) = \sin\!\left(\frac{x^2}{2} - \frac{y^2}{4} + 3\right) \cos\!\left(2x + 1 - e^{y}\right).
# $$

# %%
from descentlab.animate.surface import surface

trig = dl.Objective.from_problem("notebook-trig")
print(trig.formula)
show(surface(trig, start=[[0.1, -0.8]], frames=30, size=(900, 420)), "surface")


# %% [markdown]
# ### Finite-difference partials, as in the original
#
# The original notebook estimated each partial derivative by a forward difference with
# $h = 10^{-5}$, used $\eta = 0.1$, and stopped when $f$ changed by less than $10^{-6}$ in one step
# (or after 3000 iterations), from a random start in $[-2, 2]^2$. By hand:


# %%
def trig_f(p):
    x, y = p
    return np.sin(x**2 / 2 - y**2 / 4 + 3) * np.cos(2 * x + 1 - np.exp(y))


def trig_grad_fd(p, h=1e-5):
    grad = np.zeros(2)
    for i in range(2):
        nudged = p.copy()
        nudged[i] += h
        grad[i] = (trig_f(nudged) - trig_f(p)) / h
    return grad


start = np.random.default_rng(3).uniform(-2, 2, size=2)
p, f_old, k = start.copy(), trig_f(start), 0
while k < 3000:
    p = p - 0.1 * trig_grad_fd(p)
    k += 1
    f_new = trig_f(p)
    if abs(f_new - f_old) < 1e-6:
        break
    f_old = f_new
print(f"start {start.round(4)} -> end {p.round(4)}, f = {f_new:.6f} after {k} iterations")

# %% [markdown]
# descentlab builds the same objective from the Python function (`Objective.from_function`,
# forward differences with the same $h$) and runs the same criteria. Then the better way: the
# formula's **exact** gradient, which needs no step size at all.

# %%
trig_fd = dl.Objective.from_function(trig_f, 2, fd_method="forward", h=1e-5)
criteria = {"max_iter": 3000, "grad_tol": 0, "f_tol": 1e-6}
fd_run = dl.minimize(trig_fd, start, dl.gd(lr=0.1), **criteria)
exact_run = dl.minimize(trig, start, dl.gd(lr=0.1), **criteria)
print(f"by hand:                  end {p.round(6)} after {k} iterations")
print(f"descentlab, differences:  end {fd_run.x[0].round(6)} after {fd_run.nit[0]} iterations")
print(
    f"descentlab, exact:        end {exact_run.x[0].round(6)} after {exact_run.nit[0]} iterations"
)
assert np.allclose(fd_run.x[0], p, atol=1e-6)
print(
    f"distance between the finite-difference and exact ends: "
    f"{np.linalg.norm(fd_run.x[0] - exact_run.x[0]):.1e}"
)

# %%
from descentlab.animate.contour import contour

show(contour(trig, start=[start], frames=30, size=(480, 480)), "contour")

# %% [markdown]
# ### Multi-start and basins of attraction
#
# Which valley the descent ends in depends only on where it starts. Run 200 random starts at once
# (descentlab runs them as one array, each row stopping on its own) and group the end points into
# distinct minima. One change from the original: near the top of the picture $e^y$ is large and the
# valleys are sharp, so $\eta = 0.1$ is past their $2/L$ edge (section 4) and a third of the starts
# would bounce forever; $\eta = 0.05$ lets almost all of them settle.

# %%
domain = [(-2.3, 2.3), (-2.3, 2.3)]
starts = dl.random_starts(domain, 200, seed=0)
many = dl.minimize(trig, starts, dl.gd(lr=0.05), grad_tol=1e-6, max_iter=3000, record=False)
count = {status: int(np.sum(many.status == status)) for status in dl.Status}
print(
    f"of {many.k} starts: {int(many.success.sum())} converged, "
    f"{count[dl.Status.MAX_ITER]} still moving after 3000 iterations, "
    f"{count[dl.Status.DIVERGED]} diverged"
)
for m in dl.group_minima(many, tol=1e-3):
    print(f"  minimum at ({m.x[0]:+.4f}, {m.x[1]:+.4f}), f = {m.f:+.4f}, reached by {m.count}")

# %% [markdown]
# Colour every start of a fine grid by the minimum it reaches, and the **basins of attraction**
# appear: the regions that drain into each valley. Their borders run along the ridges, where a
# small change of the start changes the outcome. Grey starts are the few that never settled.

# %%
from descentlab.animate import basins

picture = basins(trig, optimizer=dl.gd(lr=0.05), per_axis=90, max_iter=3000, size=(520, 480))
print(f"{len(picture.info['minima'])} minima found from {90 * 90} starts")
show(picture, "basins")

# %% [markdown]
# ## 6. Beyond plain descent
#
# Plain gradient descent struggles in a long, curved, narrow valley: across the valley the
# curvature is large (so $\eta$ must be small, or it oscillates), along it the slope is tiny (so
# progress is slow). The classic test is **Rosenbrock's function**,
#
# $$
# f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2,
# $$
#
# minimum $0$ at $(1, 1)$, at the end of a banana-shaped valley. Each method below fixes part of the
# problem. Write $g_t = \nabla f(x_{t-1})$ for the gradient at step $t$; the rules and their
# defaults are PyTorch's.
#
# **Momentum** remembers past gradients, so it speeds up along the valley and averages out the
# oscillation across it:
#
# $$
# v_t = \mu\, v_{t-1} + g_t, \qquad x_t = x_{t-1} - \eta\, v_t .
# $$
#
# **Nesterov** momentum looks one step ahead before committing:
#
# $$
# v_t = \mu\, v_{t-1} + g_t, \qquad x_t = x_{t-1} - \eta\, (g_t + \mu\, v_t) .
# $$
#
# **AdaGrad** gives each coordinate its own step size, shrinking where gradients have been large:
#
# $$
# s_t = s_{t-1} + g_t^2, \qquad x_t = x_{t-1} - \eta\, \frac{g_t}{\sqrt{s_t} + \epsilon} .
# $$
#
# **RMSProp** does the same with a moving average, so the steps do not shrink forever:
#
# $$
# v_t = \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \qquad
# x_t = x_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon} .
# $$
#
# **Adam** combines momentum with RMSProp's scaling, and corrects the bias of averages that start
# at zero:
#
# $$
# m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
# v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \qquad
# x_t = x_{t-1} - \eta\, \frac{m_t / (1 - \beta_1^t)}{\sqrt{v_t / (1 - \beta_2^t)} + \epsilon} .
# $$
#
# **Backtracking line search** picks the step size anew at every step: start from $a = 1$ and halve
# it until the step decreases $f$ enough (the Armijo condition, with $c = 10^{-4}$):
#
# $$
# f(x_{t-1} - a\, g_t) \le f(x_{t-1}) - c\, a\, \lVert g_t \rVert^2 .
# $$
#
# The race: all start at $(-1.2, 1)$, and each stops when $f < 10^{-6}$ (or after 5000 iterations).

# %%
rosenbrock = dl.Objective.from_problem("rosenbrock")
racers = {
    "gd": dl.gd(lr=0.001),
    "momentum": dl.momentum(lr=0.001, momentum=0.9),
    "nesterov": dl.nesterov(lr=0.001, momentum=0.9),
    "adagrad": dl.adagrad(lr=0.5),
    "rmsprop": dl.rmsprop(lr=0.001),
    "adam": dl.adam(lr=0.05),
    "linesearch": dl.linesearch(),
}


def reached(t, X, F):
    return bool(F[0] < 1e-6)  # stop the run once f < 1e-6


race = {
    name: dl.minimize(
        rosenbrock, [-1.2, 1.0], opt, max_iter=5000, grad_tol=0, callback=reached, record=True
    )
    for name, opt in racers.items()
}
print(f"{'optimizer':<11} {'iterations to f < 1e-6':>23} {'final f':>10}")
for name, run in race.items():
    hit = run.fun[0] < 1e-6
    its = f"{run.nit[0]:,}" if hit else "not within 5,000"
    print(f"{name:<11} {its:>23} {run.fun[0]:10.2e}")

# %%
from descentlab.animate.race import race

# The scene lets every runner go on to the default gradient tolerance (no f < 1e-6 stop).
show(
    race(
        rosenbrock,
        start=[[-1.2, 1.0]],
        optimizer=list(racers.values()),
        max_iter=5000,
        frames=45,
        size=(1000, 440),
    ),
    "race",
)

# %% [markdown]
# How does the line search choose its step? Here is its very first step from $(-1.2, 1)$: $f$ along
# the downhill ray $x - a\,g$, against the step size $a$. It tries $a = 1$, then halves $a$ until
# the value falls under the Armijo line; the rejected trials are crosses, the accepted one a dot.

# %%
from descentlab.animate import linesearch

show(linesearch(rosenbrock, start=[[-1.2, 1.0]], size=(700, 440)), "linesearch")

# %% [markdown]
# What the race shows:
#
# * **Momentum** and **Nesterov** run down the valley floor: the velocity builds up along it.
# * **Adam** takes steps of roughly the size of $\eta$ whatever the gradient's scale, so the steep
#   walls do not slow it down.
# * **RMSProp** also takes steps of size about $\eta$, and that is its weakness here: without
#   momentum's averaging, near the minimum it keeps jittering at that scale instead of settling.
# * **AdaGrad**'s steps only ever shrink (its sum $s_t$ keeps growing), so it slows to a crawl.
# * **Line search** never overshoots, but each step follows the gradient, which near the valley
#   floor points across the valley more than along it: after a long first step, it creeps on in
#   many short zig-zag steps.
# * **Plain gradient descent**, held to a small $\eta$ by the steep walls, crawls.
#
# No method wins everywhere: the learning rates above were picked for this valley, and another
# function would reorder the race.

# %% [markdown]
# ### A fair comparison
#
# The race is one start and hand-picked learning rates: a picture, not a verdict. A fairer
# question is *how often* each method reaches the minimum from random starts, with the same
# iteration budget, at its own best learning rate. `dl.compare` runs every optimizer at every
# learning rate of a log grid from the **same** random starts, with every stopping tolerance off
# (each run gets the whole budget), and counts the runs that end within $10^{-4}$ of the
# catalogue's minimum $f^* = 0$. The shaded bands are 95% (Wilson) intervals: with 200 starts a
# rate is known to a few percent, no better.

# %%
comparison = dl.compare(
    "rosenbrock", starts=200, budget=1000, lr_grid=(1e-4, 1.0, 9), progress=False
)
print(comparison.table())
show(comparison.figure(), "compare")

# %% [markdown]
# What it teaches:
#
# * Every method has a window of learning rates that works, and outside it the success rate falls
#   to zero: too small and the budget runs out in the valley; too large and the run diverges
#   (the crosses). A comparison at one learning rate per method compares the windows, not the
#   methods.
# * Within 1,000 steps, plain gradient descent almost never reaches $f^*$ on Rosenbrock at *any*
#   learning rate: the steep walls cap $\eta$ and the flat floor needs many steps.
# * Momentum and Nesterov succeed most often, but only in a narrow window just below divergence;
#   Adam works over a wide range of large learning rates. A wide window is worth as much as a high
#   peak: it is what makes a method easy to tune.
# * From the command line, `descentlab compare rosenbrock -o compare.png` does the same with 1,000
#   starts, and `descentlab compare --catalogue` does it for every function of the catalogue.

# %% [markdown]
# ### A learning-rate schedule
#
# The learning rate need not stay fixed. A **schedule** changes it at every step, as
# `torch.optim.lr_scheduler` does: `cosineannealinglr` lowers it along a half cosine from $\eta$ to
# $\eta_{\min}$ in $T_{\max}$ steps,
#
# $$
# \eta_t = \eta_{\min} + (\eta - \eta_{\min})\,\frac{1 + \cos(\pi t / T_{\max})}{2},
# $$
#
# so RMSProp, which jittered at the scale of $\eta$ in the race, takes long steps early and
# settles at the end. The lr actually used at each iteration is kept in `trajectory.lrs`.

# %%
fixed = dl.minimize(rosenbrock, [-1.2, 1.0], dl.rmsprop(lr=0.05), max_iter=2000, grad_tol=0)
cosine = dl.minimize(
    rosenbrock,
    [-1.2, 1.0],
    dl.rmsprop(lr=0.05),
    max_iter=2000,
    grad_tol=0,
    scheduler=dl.cosineannealinglr(T_max=2000, eta_min=1e-6),
    record=True,
)
lrs = cosine.trajectory.lrs[1:, 0]
print(
    f"lr at iterations 1, 500, 1000, 2000: {lrs[0]:.4f} {lrs[499]:.4f} {lrs[999]:.4f} {lrs[-1]:.2e}"
)
print(f"RMSProp, fixed lr 0.05:   f = {fixed.fun[0]:.2e} after 2,000 iterations")
print(f"RMSProp, cosine schedule: f = {cosine.fun[0]:.2e} after 2,000 iterations")

# %% [markdown]
# ### Newton's method on an ill-conditioned quadratic
#
# Gradient descent's trouble is curvature that differs by direction. On
# $f(x, y) = x^2 + 100\,y^2$ the curvature is 2 along $x$ and 200 along $y$: $\eta$ must stay below
# $2/200$, and then the $x$ direction crawls. **Newton's method** divides by the curvature itself,
# the Hessian $H$ (computed exactly here, by differentiating the formula twice),
#
# $$
# x_t = x_{t-1} - H^{-1} g_t ,
# $$
#
# and on a quadratic lands on the minimum in one step. Where $H$ is not positive definite (near a
# maximum or saddle) the plain step can go uphill; `newton(damping=...)` replaces each eigenvalue
# $\lambda$ of $H$ by $\max(|\lambda|, \delta)$ so that every step goes downhill.

# %%
bowl = dl.Objective.from_formula("x^2 + 100 y^2")
by_gd = dl.minimize(bowl, [10.0, 1.0], dl.gd(lr=0.0099), max_iter=100_000, grad_tol=1e-8)
by_newton = dl.minimize(bowl, [10.0, 1.0], dl.newton(), grad_tol=1e-8)
print(f"gradient descent: {by_gd.nit[0]:,} iterations to |grad| < 1e-8")
print(f"Newton:           {by_newton.nit[0]:,} iteration(s), x = {by_newton.x[0].round(12)}")

# %% [markdown]
# ## 7. Your own function
#
# Two ways to bring your own function. As **a formula string**, with descentlab's syntax
# (`^` or `**` for powers, `2x` for products, functions such as `sin`, `exp`, `log`, `sqrt`, `abs`);
# its gradient is exact. Formulas are parsed by descentlab's own parser, never by Python's `eval`.
# Change the text and run the cells again:

# %%
mine = dl.Objective.from_formula("(x - 1)^2 + 2(y + 0.5)^2 + sin(3x)")
print("variables:", mine.variables, " gradient:", mine.grad_method)
own = dl.minimize(mine, [-1.5, 1.5], dl.adam(lr=0.05), grad_tol=1e-8, max_iter=5000)
print(f"minimum near ({own.x[0, 0]:.4f}, {own.x[0, 1]:.4f}), f = {own.fun[0]:.6f}")
print(own.message[0])

# %%
show(
    contour(
        mine,
        start=[[-1.5, 1.5]],
        optimizer=dl.adam(lr=0.05),
        grad_tol=1e-8,
        f_tol=0,
        max_iter=5000,
        frames=30,
        size=(480, 480),
    ),
    "own-formula",
)


# %% [markdown]
# Or as **any Python function** of a point. Its gradient then comes from finite differences (the
# forward difference of section 1 by default; `fd_method="central"` is more accurate), unless you
# pass one with `grad=`.


# %%
def valley(p):  # a function of one variable, in plain Python
    x = p[0]
    return x**4 / 4 - x**2 + 0.3 * x


custom = dl.Objective.from_function(valley, 1, fd_method="central", name="valley")
custom_run = dl.minimize(custom, [2.5], dl.gd(lr=0.05), grad_tol=1e-8, max_iter=10_000)
print(f"from x0 = 2.5: x = {custom_run.x[0, 0]:.4f}, f = {custom_run.fun[0]:.4f}")
print(custom_run.message[0])
show(
    animate.descent_1d(
        custom, start=2.5, optimizer=dl.gd(lr=0.05), grad_tol=1e-8, frames=30, size=(800, 320)
    ),
    "own-function",
)

# %% [markdown]
# ## Race them yourself: the explorer
#
# Everything above, in one page you can touch: `dl.explore(target)` builds the offline explorer
# (no server, no network), shown here inline. Click or drag on the plot to move the start, change
# a learning rate or the momentum and the seven optimizers race again at once; type your own
# formula in the box. `dl.explore("rosenbrock").save("explore.html")`, or `descentlab explore
# rosenbrock` on the command line, writes it to a file whose link keeps the whole set-up.

# %%
dl.explore("rosenbrock")

# %% [markdown]
# ## 8. From functions to models
#
# Everything so far minimized a function someone wrote down. Training a model is the same thing
# with a function that *data* write down: the loss, a mean over the rows of a data set, as a
# function of the model's parameters. Take a line $\hat y = w x + b$ and the mean squared error
#
# $$
# L(w, b) = \frac{1}{m} \sum_{i=1}^{m} (w x_i + b - y_i)^2, \qquad
# \frac{\partial L}{\partial w} = \frac{2}{m} \sum_i (w x_i + b - y_i)\, x_i, \qquad
# \frac{\partial L}{\partial b} = \frac{2}{m} \sum_i (w x_i + b - y_i).
# $$
#
# By hand, on 100 noisy points of the line $y = 2x - 1$ (`dl.data.line`), starting from
# $(w, b) = (-1, 3)$:

# %%
points = dl.data.line(100, seed=0)
x_data, y_data = points.X[:, 0], points.y
w, b = -1.0, 3.0
for _ in range(60):  # 60 epochs, one full-batch step each
    residual = w * x_data + b - y_data
    w, b = w - 0.15 * 2 * np.mean(residual * x_data), b - 0.15 * 2 * np.mean(residual)
lstsq_w, lstsq_b = np.linalg.lstsq(np.column_stack([x_data, np.ones(100)]), y_data, rcond=None)[0]
print(f"by hand after 60 epochs: w = {w:.4f}, b = {b:.4f}")
print(f"least squares:           w = {lstsq_w:.4f}, b = {lstsq_b:.4f}")

# %% [markdown]
# `dl.fit` runs the same loop with any optimizer of the library (its backward passes are written
# out in `descentlab.models`, checked against finite differences). Full batch with plain gradient
# descent, it takes the same steps as the loop above:

# %%
line_fit = dl.fit("linear", points, dl.gd(lr=0.15), epochs=60, start=[-1.0, 3.0], standardize=False)
fitted = line_fit.parameters(0)
print(f"descentlab:              w = {fitted['w'][0]:.4f}, b = {fitted['b']:.4f}")
print(line_fit.message[0])
show(animate.fit(line_fit, frames=40, size=(1000, 500)), "fit-line")

# %% [markdown]
# **Minibatch noise.** A full batch takes one careful step per epoch. Cutting the shuffled rows
# into batches of 10 takes ten cheaper, noisier steps per epoch, and single samples (stochastic
# gradient descent) take 100 very noisy ones: for the same 20 epochs they get much further, and
# then jitter around the minimum instead of settling on it.

# %%
show(animate.fit_compare("line", epochs=20, size=(1000, 440)), "fit-compare")

# %% [markdown]
# **A small network.** No line separates the two moons. One hidden layer of 8 tanh units,
# trained with Adam on minibatches of 32, bends the decision boundary (where the predicted
# probability is 1/2) between them:

# %%
net = dl.fit("mlp", "moons", dl.adam(lr=0.05), epochs=150, batch_size=32, hidden=8, holdout=0.25)
print(
    f"network: training accuracy {net.history.accuracy[-1, 0]:.0%}, "
    f"validation accuracy {net.history.val_accuracy[-1, 0]:.0%}"
)
show(animate.fit(net, frames=40, size=(1000, 460)), "fit-network")

# %% [markdown]
# ## Where to go next
#
# * `descentlab fit linear|logistic|mlp` trains the models of section 8 from the command line,
#   on the shipped data sets or your own CSV file.
# * The command line does all of this too: `descentlab run "3x^4 + 4x^3 - 12x^2 + 7" --start 3
#   --lr 0.001 --grad-tol 1e-12`, and `descentlab animate ...` writes any scene to a GIF, MP4 or
#   HTML file.
# * `descentlab functions` lists the catalogue of test functions, all usable by name here with
#   `dl.Objective.from_problem(name)`.
# * Try the remedies on other functions: how many starts does Himmelblau's function need before all
#   four of its minima are found?
