#!/usr/bin/env python3
"""ruby_command.py IN.wasm OUT.wasm - CRuby's npm module as a WASI command.

`@ruby/3.4-wasm-wasi`'s `ruby+stdlib.wasm` is a reactor driven by a
JavaScript host through the component model's canonical ABI: the host
calls `_initialize`, then `ruby-init` with an argument list, then
`ruby-init-loadpath`, then `rb-eval-string-protect` with the code.  This
adds the one function that does the same from inside the module and
exports it as `_start` (the `_initialize` export goes, so that the result
is a plain command for `kiln build` and node's WASI alike).  The code it
evaluates comes from the environment:

    RUBY_EVAL='puts 6 * 7' ./ruby

Nothing else changes: the new function is appended after every other
(no index moves), so the compiled code of CRuby's own functions is the
same as for the original module.  The driver evaluates

    begin; eval(ENV.fetch("RUBY_EVAL") as UTF-8, TOPLEVEL_BINDING, "-e"); ... end

then flushes $stdout and ends the process with exit!(0) (it never returns
from the eval: the result would go through the JS host's
"canonical_abi"."resource_new_rb-abi-value"); status 1 with the error on
stderr if the code raises, N after `exit N`.  Each string it hands
over is allocated with the module's own `cabi_realloc`, as the ABI asks
(the callee frees them).
"""
import importlib.util
import sys
from pathlib import Path

# What ruby.wasm's JS host passes, NUL-terminated as it does (the guest
# reads them as C strings).
RUBY_ARGS = [b"ruby.wasm\0", b"-EUTF-8\0", b"-e_=0\0"]
# exit! ends the process from inside the eval: returning would wrap the
# result in a handle through the JS host's "canonical_abi" imports.
DRIVER = (b'begin;eval(ENV.fetch("RUBY_EVAL").dup.force_encoding("UTF-8"),TOPLEVEL_BINDING,"-e");$stdout.flush;exit!(0);'
          b'rescue SystemExit=>e;$stdout.flush;exit!(e.status);'
          b'rescue Exception=>e;$stdout.flush;$stderr.print(e.full_message);$stderr.flush;exit!(1);'
          b'end\0')


HERE = Path(__file__).resolve().parent


def sibling(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The LEB128 writers of the module generator, the reader of patch_const.py.
gen_module = sibling("bench_gen_module", HERE.parent / "decode" / "gen_module.py")
leb, sleb, vector = gen_module.uleb, gen_module.sleb, gen_module.vec
patch_const = sibling("bench_patch_const", HERE / "patch_const.py")


def Reader(data, pos=0):
    return patch_const.Reader(data, pos, len(data))


def name(r):
    n = r.leb()
    r.skip(n)
    return bytes(r.data[r.pos - n:r.pos])


def sections(data):
    """[(id, payload)] in order."""
    r = Reader(data, 8)
    out = []
    while r.pos < len(data):
        sid = r.byte()
        size = r.leb()
        out.append((sid, bytes(data[r.pos:r.pos + size])))
        r.skip(size)
    return out


def func_imports(payload):
    r = Reader(payload)
    count = 0
    for _ in range(r.leb()):
        name(r)
        name(r)
        kind = r.byte()
        if kind == 0:
            count += 1
            r.leb()
        elif kind == 1:  # table: reftype, limits
            r.byte()
            flags = r.byte()
            r.leb()
            if flags & 1:
                r.leb()
        elif kind == 2:  # memory: limits
            flags = r.byte()
            r.leb()
            if flags & 1:
                r.leb()
        elif kind == 3:  # global: valtype, mutability
            r.byte()
            r.byte()
        else:  # tag: attribute, type
            r.byte()
            r.leb()
    return count


def exports(payload):
    """[(name, kind, index)]."""
    r = Reader(payload)
    return [(name(r), r.byte(), r.leb()) for _ in range(r.leb())]


class Body:
    """A function body: i32 locals and the instructions it needs."""

    def __init__(self):
        self.code = bytearray()
        self.locals = 0

    def local(self):
        self.locals += 1
        return self.locals - 1

    def const(self, v):
        self.code += b"\x41" + sleb(v)

    def get(self, i):
        self.code += b"\x20" + leb(i)

    def set(self, i):
        self.code += b"\x21" + leb(i)

    def call(self, f):
        self.code += b"\x10" + leb(f)

    def store(self, offset):  # i32.store align 4
        self.code += b"\x36\x02" + leb(offset)

    def store8(self, offset):
        self.code += b"\x3a\x00" + leb(offset)

    def alloc(self, realloc, size, align):
        """cabi_realloc(NULL, 0, align, size) into a new local."""
        for v in (0, 0, align, size):
            self.const(v)
        self.call(realloc)
        at = self.local()
        self.set(at)
        return at

    def string(self, realloc, text):
        at = self.alloc(realloc, len(text), 1)
        for i, b in enumerate(text):
            self.get(at)
            self.const(b)
            self.store8(i)
        return at

    def encoded(self):
        body = (leb(1) + leb(self.locals) + b"\x7f" if self.locals else leb(0)) + self.code + b"\x0b"
        return leb(len(body)) + body


def driver_body(f):
    """_initialize; ruby-init(RUBY_ARGS); ruby-init-loadpath;
    rb-eval-string-protect(DRIVER), trapping if its state is not 0."""
    b = Body()
    b.call(f["_initialize"])
    strings = [b.string(f["cabi_realloc"], s) for s in RUBY_ARGS]
    args = b.alloc(f["cabi_realloc"], 8 * len(RUBY_ARGS), 4)
    for k, (at, s) in enumerate(zip(strings, RUBY_ARGS)):  # list<string>: (ptr, len) pairs
        b.get(args)
        b.get(at)
        b.store(8 * k)
        b.get(args)
        b.const(len(s))
        b.store(8 * k + 4)
    b.get(args)
    b.const(len(RUBY_ARGS))
    b.call(f["ruby-init"])
    b.call(f["ruby-init-loadpath"])
    code = b.string(f["cabi_realloc"], DRIVER)
    b.get(code)
    b.const(len(DRIVER))
    b.call(f["rb-eval-string-protect"])
    result = b.local()
    b.set(result)
    b.get(result)
    b.code += b"\x28\x02\x04"  # i32.load offset=4: the tuple's state
    b.code += b"\x04\x40\x00\x0b"  # if: unreachable
    return b.encoded()


def command(data):
    secs = sections(data)
    ids = [s for s, _ in secs]
    imported = func_imports(dict(secs).get(2, b"\x00"))
    exps = exports(dict(secs)[7])
    # Exports are named "ruby-init: func(args: list<string>) -> ()": the
    # part before ": " is the function's name.
    f = {name.split(b": ")[0].decode(): idx for name, kind, idx in exps if kind == 0}
    for need in ("_initialize", "cabi_realloc", "ruby-init", "ruby-init-loadpath",
                 "rb-eval-string-protect"):
        if need not in f:
            raise ValueError("no exported function %s: not ruby.wasm's reactor" % need)
    if "_start" in f:
        raise ValueError("already a command (exports _start)")
    out = bytearray(data[:8])
    for sid, payload in secs:
        if sid == 3:  # function section: one more, of _initialize's type () -> ()
            r = Reader(payload)
            types = [r.leb() for _ in range(r.leb())]
            new_index = imported + len(types)
            types.append(types[f["_initialize"] - imported])
            payload = vector([leb(t) for t in types])
        elif sid == 7:
            kept = [leb(len(n)) + n + bytes([k]) + leb(i) for n, k, i in exps if n != b"_initialize"]
            payload = vector(kept + [leb(6) + b"_start" + b"\x00" + leb(new_index)])
        elif sid == 10:
            r = Reader(payload)
            count = r.leb()
            payload = leb(count + 1) + payload[r.pos:] + driver_body(f)
        out += bytes([sid]) + leb(len(payload)) + payload
    if 3 not in ids or 10 not in ids:
        raise ValueError("no function or code section")
    return bytes(out)


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n")[0], file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        data = f.read()
    try:
        out = command(data)
    except (ValueError, KeyError, IndexError) as e:
        print("%s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    with open(argv[2], "wb") as f:
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
