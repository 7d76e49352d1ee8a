"""TensorBoard in a real browser: what a person sees of one `tfmodels compare` run.

`test_tensorboard_server.py` asks TensorBoard's HTTP data API; this file opens its pages in
headless Chromium, driven by Selenium: the Scalars, Graphs and Images dashboards, for the Keras
and the TF1 track. Chromium and its driver are Debian's (`apt-get install chromium
chromium-driver`, as `.ci/run` does); Selenium is given both paths, so it never downloads a
browser or a driver (Selenium Manager is skipped when `Service` names the driver). Under CI
(`CI=true`) a missing browser fails; elsewhere the tests skip, saying what to install.

TensorBoard's pages are Polymer components in shadow roots, which `document.body.innerText` does
not enter: the page is read by the JavaScript in `JS`, which walks every shadow root and keeps
the text of elements the browser renders (`checkVisibility`), so stale hidden text (a previous
progress message, the "no graph" notice) is not read. A failed check saves a screenshot and
prints its path.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.error

import pytest

from tests.helpers import Server, event_runs, free_port, stop_group, tail

# three processes: training, tensorboard at a port chosen here (xdist group "ports": one such
# test at a time, tests/conftest.py), the browser
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ports")]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"  # Debian's packages
WAIT_SECONDS = 90  # for a page to show what is checked; TensorBoard is slow on 2 busy cores

JS = """
const deep = (root, out = []) => {  // every element under root, shadow roots included
  for (const el of root.querySelectorAll('*')) {
    out.push(el);
    if (el.shadowRoot) deep(el.shadowRoot, out);
  }
  return out;
};
const seen = root => deep(root).filter(el => el.checkVisibility()).flatMap(
  el => Array.from(el.childNodes, n => n.nodeType === Node.TEXT_NODE ? n.textContent.trim() : '')
).filter(Boolean).join(' | ');
"""


def browser_or_skip():
    """Chromium under Selenium, or a skip (outside CI) / a failure (CI) saying what is missing."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (the dev extra)")
    if missing:
        why = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the browser test: {why}")
        pytest.skip(why)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    return driver


@pytest.fixture(scope="module")
def browser():
    driver = browser_or_skip()  # first: a skip should not wait for training
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def board(browser, tmp_path_factory):
    """One `tfmodels compare` (2 epochs of mnist_mlp: each curve a line), served by tensorboard.

    `python -m tfmodels.cli` is the `tfmodels` command run from this checkout (the installed
    script could be another checkout's)."""
    logdir = tmp_path_factory.mktemp("logs")
    done = subprocess.run([sys.executable, "-m", "tfmodels.cli", "compare", "--epochs", "2",
                           "--logdir", str(logdir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = event_runs(str(logdir))
    port = free_port()
    log = open(tmp_path_factory.mktemp("tensorboard") / "tensorboard.log", "w+")
    exe = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    process = subprocess.Popen([exe, "--logdir", str(logdir), "--host", "127.0.0.1",
                                "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)  # its group: the data server child too
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:  # up, and done with its first load of every run
            assert process.poll() is None, tail(log)
            try:
                if set(Server(port).get("/runs")) >= runs:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert time.monotonic() < deadline, "tensorboard did not serve the runs\n" + tail(log)
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", sorted(runs)
    finally:
        assert stop_group(process), "tensorboard outlived SIGKILL"
        log.close()


@contextlib.contextmanager
def screenshot_on_failure(driver, name):
    try:
        yield
    except BaseException:
        path = os.path.join(tempfile.mkdtemp(prefix="tfmodels-browser-"), f"{name}.png")
        driver.save_screenshot(path)
        print(f"screenshot of the failed check: {path}")
        raise


def show(driver, url, script, ready, *args):
    """Open `url` afresh, then run `JS + script` (with `args`) until `ready(result)`; the last
    result."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")  # a new hash alone would not reload the page
    driver.get(url)
    result = None

    def probe(d):
        nonlocal result
        result = d.execute_script(JS + script, *args)
        return ready(result)

    with contextlib.suppress(TimeoutException):
        WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.5).until(probe)
    return result


def track_run(runs, track):
    (run,) = [r for r in runs if r.endswith(f"/{track}/train")]
    return run


def test_scalars_list_both_tracks_and_draw_epoch_loss(browser, board):
    base, runs = board
    script = """
    const card = deep(document).find(el => el.tagName === 'TF-SCALAR-CARD'
                                     && seen(el.shadowRoot).includes('epoch_loss'));
    const lines = card ? deep(card.shadowRoot).filter(
        el => el.matches('path.line') && /L/.test(el.getAttribute('d') || '')).length : 0;
    return {text: seen(document), lines: lines};
    """
    with screenshot_on_failure(browser, "scalars"):
        shown = show(browser, f"{base}/#scalars&tagFilter=epoch_loss", script,
                     lambda r: r["lines"] >= 4 and all(run in r["text"] for run in runs))
        for track in ("keras", "tf1"):  # the run selector
            assert f"{track}/train" in shown["text"] and f"{track}/validation" in shown["text"]
        # a drawn line (two epochs: a segment) for each of the 4 runs with an epoch_loss
        assert shown["lines"] >= 4, shown


def graph_nodes(browser, base, run):
    """The Graphs tab as it opens on `run` (its default tag, "Op graph"): the names of the
    nodes drawn in the main graph and of those TensorBoard moved aside ("Auxiliary Nodes"),
    and any error shown."""
    # The run menu opens on the first run; picking another reloads the graph a moment later,
    # so the page is judged from the next look on (`picked` is the state before this look).
    # Another run is picked only once the first run's graph is drawn: a pick while it is still
    # being laid out lets that first graph, finishing last, replace the picked one (seen on a
    # busy CI machine: the tf1 run picked, the Keras graph shown for 90 s). Both tracks' graphs
    # have the same node names, so the labels drawn before the pick are marked, and only those
    # drawn since (the picked run's) are read.
    pick = """
    const item = deep(document).find(el => el.tagName === 'PAPER-ITEM'
                                     && el.textContent.trim() === arguments[0]);
    const picked = !!item && item.classList.contains('iron-selected');
    const drawn = deep(document).filter(el => el.matches('text.nodelabel > title'));
    const titles = drawn.filter(el => !el.tfmodelsBeforePick);
    const names = area => titles.filter(el => area(el.closest(
        'g.core, g.in-extract, g.out-extract, g.function-library')))
      .map(el => el.textContent.trim());  // the full names
    const main = names(box => box && box.classList.contains('core'));
    const aside = names(box => !box || !box.classList.contains('core'));
    if (item && !picked && titles.length) {
      drawn.forEach(el => { el.tfmodelsBeforePick = true; });
      item.click();
    }
    const text = seen(document), at = text.search(/Graph visualization failed|Malformed/);
    return {picked: picked, error: at < 0 ? '' : text.slice(at, at + 500), main: main,
            aside: aside};
    """
    return show(browser, f"{base}/#graphs", pick,
                lambda r: r["picked"] and (r["error"] or "dense_1" in r["main"] + r["aside"]),
                run)


def test_graphs_show_both_tracks_layers_as_main_nodes_in_the_same_groups(browser, board):
    """Each track's run graph draws the spec's layers, `dense_0` and `dense_1`, as nodes of the
    main graph (not folded into a model box, not among the Auxiliary Nodes), and the two
    tracks' graphs have the same top-level nodes: the pictures compare side by side."""
    base, runs = board
    top = {}
    for track in ("keras", "tf1"):
        with screenshot_on_failure(browser, f"graphs-{track}"):
            shown = graph_nodes(browser, base, track_run(runs, track))
            assert not shown["error"], shown["error"]
            assert shown["picked"], f"no run {track_run(runs, track)} in the run menu"
            assert {"dense_0", "dense_1"} <= set(shown["main"]), (track, shown)
            top[track] = {name for name in shown["main"] + shown["aside"] if "/" not in name}
    assert top["keras"] == top["tf1"], top
    assert {"loss", "metrics", "train"} <= top["tf1"], top


def test_images_show_both_tracks_pictures(browser, board):
    base, runs = board
    script = """
    const loaders = deep(document).filter(el => el.tagName === 'TF-IMAGE-LOADER');
    if (loaders.length) loaders[loaders.length - 1].scrollIntoView();  // a pane draws once seen
    return loaders.map(el => {
      const $ = selector => deep(el.shadowRoot).find(e => e.matches(selector));
      const img = $('img');
      return {run: ($('#heading-run') || {}).textContent,
              tag: ($('.heading-label.name') || {}).textContent,
              loaded: !!img && img.complete && img.naturalWidth > 0 && img.checkVisibility()};
    });
    """
    prefix = runs[0].rsplit("/", 2)[0]  # mnist_mlp/<run-id>
    expected = {(f"{prefix}/{track}/{split}", tag) for track in ("keras", "tf1")
                for split, tag in (("train", "activation_functions"),
                                   ("validation", "confusion_matrix"),
                                   ("validation", "misclassified_digits"))}

    def loaded(cards):  # (run, tag) of each picture shown
        return {(c["run"].strip(), c["tag"].strip()) for c in cards
                if c["loaded"] and c["run"] and c["tag"]}

    with screenshot_on_failure(browser, "images"):
        # the tag filter's pane holds every picture, open (a third category opens closed)
        cards = show(browser, f"{base}/#images&tagFilter=.", script,
                     lambda r: loaded(r) >= expected)
        assert loaded(cards) >= expected, (sorted(expected - loaded(cards)), cards)


def test_histograms_show_each_weight_of_both_tracks_side_by_side(browser, board):
    """TensorBoard draws one run per histogram card (it lays no two runs over each other); the
    two tracks' cards of a weight, tagged alike (`dense_0/kernel`), stand next to each other
    under the tag filter, both drawn."""
    base, runs = board
    script = """
    const loaders = deep(document).filter(el => el.tagName === 'TF-HISTOGRAM-LOADER');
    if (loaders.length) loaders[loaders.length - 1].scrollIntoView();  // a card draws once seen
    return loaders.map(el => ({run: el.run, tag: el.tag,
      steps: deep(el.shadowRoot).filter(e => e.matches('g.histogram')).length}));
    """
    wanted = [(track_run(runs, track), "dense_0/kernel") for track in ("keras", "tf1")]

    def drawn(cards):  # (run, tag) of the cards with a histogram per epoch, in page order
        return [(c["run"], c["tag"]) for c in cards if c["steps"] >= 2]

    with screenshot_on_failure(browser, "histograms"):
        cards = show(browser, f"{base}/#histograms&tagFilter=dense_0%2Fkernel", script,
                     lambda r: set(drawn(r)) >= set(wanted))
        assert set(drawn(cards)) >= set(wanted), cards
        order = [(c["run"], c["tag"]) for c in cards]
        assert abs(order.index(wanted[0]) - order.index(wanted[1])) == 1, order
