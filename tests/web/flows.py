"""What a user does in the web client, step by step in the browser: shared
by the tests against the stand-in (tests/web/test_pages.py) and against the
appliance (tests/integration/test_web_browser.py)."""

import os
import time

import browser

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENS = os.path.join(ROOT, "out", "test-screens")


def screenshot(b, label):
    """A full-page screenshot kept under out/test-screens/web-LABEL.png."""
    os.makedirs(SCREENS, exist_ok=True)
    return b.do("screenshot", path=os.path.join(SCREENS, "web-%s.png" % label))


def login(b, url, password):
    """Logs in; returns the error shown, or None when it worked."""
    b.do("goto", url=url)
    b.do("wait", selector="#password")
    b.do("fill", selector="#password", value=password)
    b.do("press", key="Enter")
    for _ in range(150):
        if b.do("count", selector="#login-error .error"):
            return b.do("text", selector="#login-error .error")
        if b.do("count", selector="#top:not([hidden])"):
            return None
        time.sleep(0.2)
    raise AssertionError("neither logged in nor refused after 30 s")


def go(b, url, page):
    b.do("goto", url=url + "#/" + page)


def wait_vm_state(b, name, state, timeout=120):
    b.do("wait", selector='#vm-list tr[data-vm="%s"] .state' % name, text=state, timeout=timeout * 1000)


def confirm(b):
    """Presses the confirming button of the open dialog."""
    b.do("click", selector="dialog[open] button[value=yes]")


def create_vm(b, url, name, kernel, initrd, cmdline, memory="256M", display=""):
    """Creates a VM with the wizard (direct kernel boot); returns the text
    of its page."""
    go(b, url, "vms")
    b.do("click", selector="#vm-new")
    b.do("wait", selector="#vm-form")
    b.do("fill", selector="#name", value=name)
    b.do("fill", selector="#memory", value=memory)
    b.do("check", selector="input[name=boot][value=kernel]")
    b.do("fill", selector="#kernel", value=kernel)
    b.do("fill", selector="#initrd", value=initrd)
    b.do("fill", selector="#cmdline", value=cmdline)
    b.do("fill", selector="#nics", value="")   # the test appliance has no bridge
    b.do("select", selector="#display", value=display)
    screenshot(b, "vm-create")
    b.do("click", selector="#vm-form button[type=submit]")
    b.do("wait", selector="h1", text="VM %s" % name)
    return b.do("wait", selector="#view dl")


def vm_action(b, url, name, action, confirmed=True):
    go(b, url, "vms")
    b.do("click", selector='#vm-list button[data-action="%s"][data-vm="%s"]' % (action, name))
    if confirmed:
        confirm(b)


def screen_size(b, url, name):
    """Opens the VM's screen page; returns its canvas's [width, height]."""
    go(b, url, "screen/" + name)
    try:
        b.do("wait", selector='#screen-status[data-connected="yes"]', timeout=120000)
    except browser.BrowserError as e:
        raise AssertionError("the screen did not connect; the page says: %r (%s)"
                             % (b.do("text", selector="#screen-status"), e)) from e
    b.do("wait", selector="#screen canvas")
    return b.do("eval", expr="(() => { const c = document.querySelector('#screen canvas'); return [c.width, c.height]; })()")


def open_console(b, url, name):
    go(b, url, "console/" + name)
    b.do("wait", selector='#console-status[data-connected="yes"]')


def console_text(b):
    return b.do("text", selector="#terminal .xterm-rows")


def wait_console(b, text, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = console_text(b)
        if text in screen:
            return screen
        time.sleep(0.5)
    raise AssertionError("%r not on the console after %d s; it shows:\n%s" % (text, timeout, console_text(b)))


def search_logs(b, url, text):
    """Searches the system log page; returns the lines shown."""
    go(b, url, "logs")
    b.do("wait", selector="#log-count")
    b.do("fill", selector="#log-search", value=text)
    b.do("press", key="Enter")
    b.do("wait", selector="#log-count", text='"%s"' % text)
    return b.do("text", selector="#log-text")


def upload(b, url, path, name):
    """Uploads a file on the Images page; returns the status text."""
    go(b, url, "images")
    b.do("wait", selector="#upload-form")
    b.do("files", selector="#upload-file", path=path)
    b.do("fill", selector="#upload-name", value=name)
    b.do("click", selector="#upload-form button[type=submit]")
    text = b.do("wait", selector="#upload-status .ok, #upload-errors .error", timeout=600000)
    assert b.do("count", selector="#upload-errors .error") == 0, "the upload was refused: %s" % text
    return text
