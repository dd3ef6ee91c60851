"""Runs a command in a real pseudo-terminal of a given size and plays a short script against it.

Usage: python3 pty-run.py COLS ROWS SCRIPT_JSON -- COMMAND...
SCRIPT_JSON is a list of steps {"expect": "text", "send": "keys"} (either part optional) and
{"signal": "INT"} or {"resize": [COLS, ROWS]}: each step waits (up to 30 s) until the screen output so far contains `expect`, then
writes `send` (or sends the signal to the process group, or resizes the terminal: the kernel sends SIGWINCH).
Prints a JSON object to stdout: {"code": exit status (or 128+signal), "output": everything the program wrote to
the terminal, "resizes": [{"at": characters of output before the resize, "cols", "rows"}]}.
Python's pty module is in every Python 3, so the tests need no native Node addon.
"""
import fcntl, json, os, pty, select, signal, struct, sys, termios, time

def drain(fd: int, quiet: float) -> bytes:
    """What the terminal has to read until it stays quiet for `quiet` seconds, or ends."""
    got = b''
    while select.select([fd], [], [], quiet)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        got += data
    return got


def main() -> None:
    cols, rows, script = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
    cmd = sys.argv[sys.argv.index('--') + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    out = b''
    deadline = time.time() + 120
    steps = list(script)
    status = None
    resizes = []
    while time.time() < deadline:
        if steps:
            step = steps[0]
            want = step.get('expect')
            if want is None or want.encode() in out:
                steps.pop(0)
                if 'send' in step:
                    time.sleep(step.get('delay', 0.2))
                    os.write(fd, step['send'].encode())
                if 'signal' in step:
                    time.sleep(step.get('delay', 0.2))
                    os.kill(pid, getattr(signal, 'SIG' + step['signal']))
                if 'resize' in step:
                    time.sleep(step.get('delay', 0.2))
                    # Read what is pending first, so that `at` falls between what came before and after it.
                    out += drain(fd, 0.05)
                    new_cols, new_rows = step['resize']
                    # In UTF-16 code units, as JavaScript's strings count them.
                    resizes.append({'at': len(out.decode('utf-8', 'replace').encode('utf-16-le')) // 2, 'cols': new_cols, 'rows': new_rows})
                    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', new_rows, new_cols, 0, 0))
                continue
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b''
            if not data:
                break
            out += data
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            out += drain(fd, 0.2)
            break
    if status is None:
        try:
            _, status = os.waitpid(pid, 0) if time.time() < deadline else (os.kill(pid, signal.SIGKILL) or os.waitpid(pid, 0))
        except ChildProcessError:
            status = 0
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        code = 128 - code
    print(json.dumps({'code': code, 'output': out.decode('utf-8', 'replace'), 'pending': [s.get('expect') for s in steps], 'resizes': resizes}))

main()
