"""The web client's pages in Debian's headless Chromium (playwright-core)
against the stand-in server (standin.py): every page, the create wizard,
the VM actions, the serial console, uploads, errors in words.  Fast (no
QEMU); the same flows run against the real appliance in
tests/integration/test_web_browser.py."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import browser  # noqa: E402
import flows  # noqa: E402
import standin  # noqa: E402

PASSWORD = "standin-pw"
pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The pages as the ISO has them (web/install-pages.sh)."""
    root = tmp_path_factory.mktemp("web-root") / "web"
    subprocess.run([os.path.join(flows.ROOT, "web", "install-pages.sh"), browser.NODE_MODULES, str(root)], check=True)
    return str(root)


@pytest.fixture(scope="module")
def server(pages):
    s = standin.serve(pages, password=PASSWORD, vms=2)
    yield s
    s.shutdown()


@pytest.fixture(scope="module")
def b(tmp_path_factory, server):
    """A browser logged in to the stand-in (each test may run alone)."""
    log = tmp_path_factory.mktemp("browser") / "browser.log"
    br = browser.Browser(str(log))
    assert flows.login(br, url_of(server), PASSWORD) is None
    yield br
    br.close()


def url_of(server):
    return "https://127.0.0.1:%d/" % server.server_port


def test_login_refuses_a_wrong_password_and_takes_the_right_one(b, server):
    b.do("click", selector="#logout")
    b.do("wait", selector="#password")
    error = flows.login(b, url_of(server), "not-the-password")
    assert error and "Wrong password" in error, error
    flows.screenshot(b, "login-refused")
    assert flows.login(b, url_of(server), PASSWORD) is None
    assert b.do("text", selector="#who") == "root"


def test_no_password_yet_says_how_to_set_one(pages, tmp_path):
    s = standin.serve(pages, password=None)
    br = browser.Browser(str(tmp_path / "browser.log"))
    try:
        error = flows.login(br, url_of(s), "anything")
        assert "passwd" in error and "console" in error, error
    finally:
        br.close()
        s.shutdown()


def test_host_page_shows_the_host_and_its_graphs(b, server):
    flows.go(b, url_of(server), "host")
    facts = b.do("wait", selector="#host-info dl")
    for word in ("Version", "0.1.0-standin", "KVM", "Free for VMs", "Uptime"):
        assert word in facts, facts
    b.do("wait", selector='figure[data-graph="CPU"] path.line')
    assert b.do("count", selector=".graph path.line") == 3
    assert "10.0.2.15" in b.do("text", selector="#host-info")
    flows.screenshot(b, "host")


def test_power_buttons_ask_first_and_show_the_refusal(b, server):
    flows.go(b, url_of(server), "host")
    b.do("click", selector="#host-reboot")
    b.do("wait", selector="dialog[open]")
    b.do("press", key="Escape")     # cancelled: nothing is asked of the server
    assert b.do("count", selector="main .error") == 0
    b.do("click", selector="#host-reboot")
    flows.confirm(b)
    assert "does not reboot" in b.do("wait", selector="main .error")


def test_vm_lifecycle_with_console(b, server):
    url = url_of(server)
    page = flows.create_vm(b, url, "web1", "/var/lib/corral/images/vmlinuz",
                           "/var/lib/corral/images/initrd.img", "console=ttyS0")
    assert "stopped" in page
    assert b.do("text", selector="#view dl").count("vmlinuz") == 1
    flows.go(b, url, "vms")
    flows.wait_vm_state(b, "web1", "stopped")
    flows.vm_action(b, url, "web1", "start", confirmed=False)
    flows.wait_vm_state(b, "web1", "running", timeout=10)
    flows.screenshot(b, "vms")
    flows.open_console(b, url, "web1")
    flows.wait_console(b, standin.MARKER, timeout=10)
    b.do("click", selector="#terminal")
    b.do("type", text="hello from the browser\r")
    flows.wait_console(b, "hello from the browser", timeout=10)
    flows.screenshot(b, "console")
    flows.go(b, url, "vm/web1")
    assert standin.MARKER in b.do("wait", selector="#vm-log", text=standin.MARKER)
    flows.screenshot(b, "vm")
    flows.vm_action(b, url, "web1", "stop")
    flows.wait_vm_state(b, "web1", "stopped", timeout=10)
    flows.vm_action(b, url, "web1", "delete")
    b.do("waitgone", selector='#vm-list tr[data-vm="web1"]', timeout=10000)


def test_screen_page_shows_the_vm_screen(b, server):
    url = url_of(server)
    server.host.command("vm.start", {"name": "vm01"})
    try:
        size = flows.screen_size(b, url, "vm01")
        assert size == [64, 48], size
        flows.screenshot(b, "screen")
    finally:
        server.host.command("vm.kill", {"name": "vm01"})
    assert "closed" in b.do("wait", selector="#screen-status .error")


def focused(b):
    return b.do("eval", expr="(() => { const e = document.activeElement; return [e.tagName, e.dataset.action || '', e.dataset.vm || e.value || '']; })()")


def test_the_vm_list_works_from_the_keyboard(b, server):
    """Tab to a VM's Start, Enter; focus stays on the row's new buttons
    through the live refresh; Stop's dialog is answered with the keyboard."""
    url = url_of(server)
    flows.go(b, url, "vms")
    flows.wait_vm_state(b, "vm00", "stopped")
    for _ in range(30):
        if focused(b) == ["BUTTON", "start", "vm00"]:
            break
        b.do("press", key="Tab")
    assert focused(b) == ["BUTTON", "start", "vm00"]
    b.do("press", key="Enter")
    flows.wait_vm_state(b, "vm00", "running", timeout=10)
    assert focused(b)[1:] == ["stop", "vm00"], focused(b)
    b.do("press", key="Enter")
    b.do("wait", selector="dialog[open]")
    assert focused(b) == ["BUTTON", "", "no"], focused(b)     # Cancel first: Enter alone does nothing harmful
    b.do("press", key="Tab")
    assert focused(b) == ["BUTTON", "", "yes"], focused(b)
    b.do("press", key="Enter")
    flows.wait_vm_state(b, "vm00", "stopped", timeout=10)


def test_refusals_are_shown_in_words_where_they_happen(b, server):
    url = url_of(server)
    flows.go(b, url, "vms/new")
    b.do("wait", selector="#vm-form")
    b.do("fill", selector="#name", value="bad1")
    b.do("fill", selector="#memory", value="8M")
    b.do("fill", selector="#kernel", value="/k")
    b.do("click", selector="#vm-form button[type=submit]")
    assert "memory" in b.do("wait", selector="#form-errors .error")
    # The form's own check, before anything is sent.
    b.do("fill", selector="#memory", value="256M")
    b.do("fill", selector="#kernel", value="")
    b.do("click", selector="#vm-form button[type=submit]")
    assert "Kernel: choose the kernel" in b.do("wait", selector="#form-errors .error", text="Kernel")
    flows.screenshot(b, "vm-create-error")


def test_edit_changes_only_what_was_changed(b, server):
    url = url_of(server)
    flows.go(b, url, "vm/vm00/edit")
    b.do("wait", selector="#vm-form")
    b.do("fill", selector="#cpus", value="2")
    b.do("click", selector="#vm-form button[type=submit]")
    b.do("wait", selector="h1", text="VM vm00")
    assert "CPUs\n2" in b.do("wait", selector="#view dl", text="CPUs")


def test_upload_lists_the_image_and_delete_removes_it(b, server, tmp_path):
    iso = tmp_path / "small.iso"
    iso.write_bytes(os.urandom(3 << 20))
    status = flows.upload(b, url_of(server), str(iso), "small.iso")
    assert "uploaded" in status
    row = b.do("wait", selector='#image-list tr[data-image="small.iso"]')
    assert "3.0 MiB" in row and "iso" in row
    flows.screenshot(b, "images")
    b.do("click", selector='#image-list tr[data-image="small.iso"] button')
    flows.confirm(b)
    b.do("waitgone", selector='#image-list tr[data-image="small.iso"]', timeout=10000)


def test_an_aborted_upload_says_so_and_leaves_nothing(b, server, tmp_path):
    big = tmp_path / "big.iso"
    big.write_bytes(b"\0" * (8 << 20))
    server.upload_delay = 0.05
    try:
        flows.go(b, url_of(server), "images")
        b.do("files", selector="#upload-file", path=str(big))
        b.do("click", selector="#upload-form button[type=submit]")
        b.do("wait", selector="#upload-status", text="of 8.0 MiB")
        b.do("click", selector="#upload-abort")
        assert "nothing was kept" in b.do("wait", selector="#upload-errors .error")
    finally:
        server.upload_delay = 0
    assert "big.iso" not in server.host.images
    assert b.do("count", selector='#image-list tr[data-image="big.iso"]') == 0


def test_import_failure_is_shown(b, server):
    flows.go(b, url_of(server), "images")
    b.do("fill", selector="#import-url", value="https://example.invalid/x.iso")
    b.do("fill", selector="#import-sha256", value="0" * 64)
    b.do("click", selector="#import-form button[type=submit]")
    assert "cannot fetch" in b.do("wait", selector="#import-status .error")


def test_logs_are_searchable(b, server):
    text = flows.search_logs(b, url_of(server), "logged in")
    assert "root logged in from 127.0.0.1" in text
    assert "corrald: started" not in text
    flows.screenshot(b, "logs")


def test_session_loss_returns_to_the_login(b, server):
    server.sessions.clear()
    flows.go(b, url_of(server), "vms")
    b.do("wait", selector="#password")
    assert flows.login(b, url_of(server), PASSWORD) is None


def test_no_script_errors(b):
    assert b.do("errors") == [] or all("401" in e or "404" in e or "409" in e or "400" in e or "500" in e
                                       for e in b.do("errors"))
