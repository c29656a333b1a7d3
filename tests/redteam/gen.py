#!/usr/bin/env python3
"""gen.py SHAPE OUT.wasm [N]  |  gen.py --list

Pathological modules for red-team runs of the compiler and the sandbox
(tests/redteam/run.py drives them).  Each shape is written as binary
directly, so invalid encodings (overlong LEB128s, lying counts) are as
easy to make as valid ones and nothing huge is checked in.  N scales the
shape (its default is the size the red team ran).  A valid module
exports `_start` (a WASI command: `kiln run` and `kiln build` run it)."""
import sys

# --- encoding -----------------------------------------------------------------

WIDTH = 0  # when set, every unsigned LEB128 is this many bytes (see padded_module)


def u(n, width=None):
    """Unsigned LEB128, at least `width` bytes long (overlong when needed)."""
    width = WIDTH if width is None else width
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if not n and len(out) + 1 >= width:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def s(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        done = (n == 0 and not b & 0x40) or (n == -1 and b & 0x40)
        out.append(b if done else b | 0x80)
        if done:
            return bytes(out)


def vec(items):
    return u(len(items)) + b"".join(items)


def name(t):
    b = t.encode() if isinstance(t, str) else t
    return u(len(b)) + b


def section(sid, payload):
    return bytes([sid]) + u(len(payload)) + payload


I32, I64, F32, F64, V128, FUNCREF, EXTERNREF = 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f


def functype(params, results):
    return b"\x60" + vec([bytes([p]) for p in params]) + vec([bytes([r]) for r in results])


def body(code, locals_=()):
    """locals_: [(count, type)]; code without the final end."""
    b = vec([u(c) + bytes([t]) for c, t in locals_]) + code + b"\x0b"
    return u(len(b)) + b


def module(types=(), imports=(), funcs=(), tables=(), mems=(), globals_=(), exports=(),
           start=None, elems=(), datacount=None, codes=(), datas=(), tags=(), customs=()):
    out = b"\0asm\1\0\0\0"
    if types: out += section(1, vec(list(types)))
    if imports: out += section(2, vec(list(imports)))
    if funcs: out += section(3, vec([u(f) for f in funcs]))
    if tables: out += section(4, vec(list(tables)))
    if mems: out += section(5, vec(list(mems)))
    if tags: out += section(13, vec(list(tags)))
    if globals_: out += section(6, vec(list(globals_)))
    if exports: out += section(7, vec(list(exports)))
    if start is not None: out += section(8, u(start))
    if elems: out += section(9, vec(list(elems)))
    if datacount is not None: out += section(12, u(datacount))
    if codes: out += section(10, vec(list(codes)))
    if datas: out += section(11, vec(list(datas)))
    for c in customs: out += section(0, c)
    return out


def export_func(nm, idx):
    return name(nm) + b"\x00" + u(idx)


def i32c(v): return b"\x41" + s(v)
def lget(i): return b"\x20" + u(i)
def lset(i): return b"\x21" + u(i)
def call(i): return b"\x10" + u(i)
DROP, END, NOP, UNREACH = b"\x1a", b"\x0b", b"\x01", b"\x00"
I32ADD = b"\x6a"

VOID = [functype([], [])]


def start_module(code, locals_=(), more_types=(), **kw):
    """One function `_start` (type 0, () -> ()) with `code`."""
    return module(types=VOID + list(more_types), funcs=[0], exports=[export_func("_start", 0)],
                  codes=[body(code, locals_)], **kw)


# --- shapes --------------------------------------------------------------------
# Each returns module bytes.  Comments say what it aims at.

SHAPES = {}


def shape(default, quick, expect, rss_mb=None):
    """default: the size the red team ran; quick: the size `run.py --quick`
    (make test-redteam) uses.  expect: the outcomes allowed, '|' between
    them: `runs` (validates, compiles, runs to the end), `trap:TEXT` (runs
    and traps with TEXT), `invalid:TEXT` (refused by validation with TEXT),
    `unlinkable:TEXT` (compiles, but running fails before any code with
    TEXT).  rss_mb: the most memory any step may take."""
    def reg(f):
        SHAPES[f.__name__] = (f, default, quick, expect, rss_mb)
        return f
    return reg


@shape(100000, quick=2000, expect="runs|trap:call stack exhausted")
def many_funcs(n):
    """n functions, each calling the next; _start calls the first."""
    codes = [body(call(i + 1) if i + 1 < n else NOP) for i in range(n)]
    return module(types=VOID, funcs=[0] * n, exports=[export_func("_start", 0)], codes=codes)


@shape(100000, quick=2000, expect="runs")
def many_types(n):
    """n distinct function types (params of i32/i64 spelling n in binary)."""
    types = [functype([I64 if (i >> b) & 1 else I32 for b in range(17)], []) for i in range(n)]
    return module(types=VOID + types, funcs=[0], exports=[export_func("_start", 0)],
                  codes=[body(NOP)])


@shape(100000, quick=2000, expect="runs")
def many_globals(n):
    """n mutable globals; _start adds the first and the last into the first."""
    g = [bytes([I32, 1]) + i32c(i) + END for i in range(n)]
    code = b"\x23" + u(0) + b"\x23" + u(n - 1) + I32ADD + b"\x24" + u(0)
    return start_module(code, globals_=g)


@shape(100000, quick=2000, expect="runs")
def many_data(n):
    """n active data segments of one byte each plus a data count."""
    datas = [b"\x00" + i32c(i % 65536) + END + name(bytes([i & 0xff])) for i in range(n)]
    return start_module(NOP, mems=[b"\x00\x01"], datacount=n, datas=datas)


@shape(100000, quick=2000, expect="runs")
def many_passive_data(n):
    """n passive segments; _start inits and drops every 1000th."""
    datas = [b"\x01" + name(b"abcd") for _ in range(n)]
    code = b"".join(i32c(0) + i32c(0) + i32c(4) + b"\xfc\x08" + u(i) + b"\x00" + b"\xfc\x09" + u(i)
                    for i in range(0, n, 1000))
    return start_module(code, mems=[b"\x00\x01"], datacount=n, datas=datas)


@shape(100000, quick=2000, expect="runs")
def many_elems(n):
    """n active element segments into one table of n slots."""
    elems = [b"\x00" + i32c(i) + END + vec([u(0)]) for i in range(n)]
    return start_module(NOP, tables=[bytes([FUNCREF, 0]) + u(n)], elems=elems)


@shape(100000, quick=2000, expect="runs")
def many_exports(n):
    """n exports of one function, names up to 200 bytes."""
    ex = [export_func("_start", 0)] + [export_func(f"e{i}" + "x" * (i % 200), 0) for i in range(n - 1)]
    return module(types=VOID, funcs=[0], exports=ex, codes=[body(NOP)])


@shape(100000, quick=2000, expect="unlinkable:unknown import")
def many_imports(n):
    """n imports of WASI's proc_exit under as many names in one module (unknown ones)."""
    t = functype([I32], [])
    imps = [name("wasi_snapshot_preview1") + name("proc_exit") + b"\x00" + u(1)]
    imps += [name("env") + name(f"f{i}") + b"\x00" + u(1) for i in range(n - 1)]
    return module(types=VOID + [t], imports=imps, funcs=[0], exports=[export_func("_start", n)],
                  codes=[body(NOP)])


@shape(1000000, quick=20000, expect="runs")
def deep_stack(n):
    """n constants pushed, then n-1 adds: an operand stack n deep."""
    code = i32c(1) * n + I32ADD * (n - 1) + DROP
    return start_module(code)


@shape(300000, quick=20000, expect="runs")
def deep_select(n):
    """A select chain n deep: every select's first operand is the next one."""
    # n pending 3s, then n selects each folding (3, previous, local 0)
    code = i32c(3) * n + i32c(0) + (lget(0) + b"\x1b") * n + DROP
    return start_module(code, locals_=[(1, I32)])


@shape(200000, quick=2000, expect="runs")
def nested_calls(n):
    """f(f(f(...f(0)))) n deep: n pending calls, one function."""
    code = i32c(0) + call(1) * n + DROP
    t = functype([I32], [I32])
    return module(types=VOID + [t], funcs=[0, 1], exports=[export_func("_start", 0)],
                  codes=[body(code), body(lget(0) + i32c(1) + I32ADD)])


@shape(50000, quick=2000, expect="unlinkable:unknown import")
def nested_import_calls(n):
    """g(g(g(...g(0)))) n deep, g an import: n calls in one basic block that
    no inlining removes (kiln run/build: WASI lacks env.g; compile only)."""
    t = functype([I32], [I32])
    code = i32c(0) + call(0) * n + DROP
    return module(types=VOID + [t], imports=[name("env") + name("g") + b"\x00" + u(1)], funcs=[0],
                  exports=[export_func("_start", 1)], codes=[body(code)])


@shape(50000, quick=2000, expect="runs")
def many_locals_live(n):
    """n i64 locals (the limit is params plus locals: 50,000), each set then summed
    after a call, so all are live across it."""
    code = b"".join(b"\x42" + s(i) + lset(i) for i in range(n))
    code += call(1) + b"\x42\x00" + b"".join(lget(i) + b"\x7c" for i in range(n)) + DROP
    return module(types=VOID, funcs=[0, 0], exports=[export_func("_start", 0)],
                  codes=[body(code, [(n, I64)]), body(NOP)])


@shape(20000, quick=200, expect="trap:call stack exhausted")
def v128_frame_recursion(n):
    """n v128 locals live across a self-call, recursing until the stack runs out:
    must end in a defined trap (call stack exhausted)."""
    code = b"".join(b"\xfd\x0c" + bytes([i & 0xff]) * 16 + lset(i) for i in range(n))
    code += call(0)
    acc = lget(0) + b"".join(lget(i) + b"\xfd\x6e" for i in range(1, n))  # i8x16.add
    code += acc + DROP
    return start_module(code, locals_=[(n, V128)])


@shape(1000, quick=1000, expect="runs")
def max_params_results(n):
    """A function of n i32 params and n results, a block and a loop of n params
    and results, br to the loop once, called from _start."""
    t = functype([I32] * n, [I32] * n)
    get_all = b"".join(lget(i) for i in range(n))
    # loop with n params: first time through branch back once (flag in a local)
    flag = n
    # Inside the loop the if takes the loop's n values as its parameters, so
    # its `br 1` carries them back to the loop (labels: if 0, loop 1, block 2).
    inner = (b"\x02" + s(1) +  # block (type 1)
             b"\x03" + s(1) +  # loop (type 1)
             lget(flag) + b"\x45" + b"\x04" + s(1) +  # if (type 1) when !flag
             i32c(1) + lset(flag) + b"\x0c\x01" + END +  # flag = 1; br loop
             END + END)
    f = body(get_all + inner, [(1, I32)])
    start = i32c(1) * n + call(1) + DROP * n
    return module(types=VOID + [t], funcs=[0, 1], exports=[export_func("_start", 0)],
                  codes=[body(start), f])


@shape(1000, quick=1000, expect="runs")
def block_many_results(n):
    """A block of n results carried out by br_if from inside n nested ifs."""
    t = functype([], [I32] * n)
    code = b"\x02" + s(1) + i32c(1) * n + lget(0) + b"\x0d\x00" + END + DROP * n
    return module(types=VOID + [t], funcs=[0], exports=[export_func("_start", 0)],
                  codes=[body(code, [(1, I32)])])


WIDE = 500  # values per group in the wide shapes below (the red team's width)


def wide_module(code, locals_=()):
    """_start (type 0) runs `code`; function 1 is `make`, () -> WIDE i32
    (type 1), function 2 `pass`, WIDE i32 -> WIDE i32 (type 2), and
    function 3 `sink`, WIDE i32 -> () (type 3), which keeps a shape small."""
    make_t = functype([], [I32] * WIDE)
    pass_t = functype([I32] * WIDE, [I32] * WIDE)
    sink_t = functype([I32] * WIDE, [])
    make = body(b"".join(i32c(i) for i in range(WIDE)))
    pass_ = body(b"".join(lget(i) for i in range(WIDE)))
    return module(types=VOID + [make_t, pass_t, sink_t], funcs=[0, 1, 2, 3],
                  exports=[export_func("_start", 0)],
                  codes=[body(code, locals_), make, pass_, body(NOP)])


SINK = call(3)


@shape(2000, quick=200, expect="runs")
def wide_call_chain(n):
    """make's WIDE results passed on to pass's WIDE parameters, n times in
    one body: a call moves WIDE values in two bytes."""
    return wide_module(call(1) + call(2) * n + SINK)


@shape(400, quick=40, expect="runs")
def wide_if_results(n):
    """n ifs of WIDE results (type 1), a call to make in each arm."""
    one = lget(0) + b"\x04" + s(1) + call(1) + b"\x05" + call(1) + END + SINK
    return wide_module(one * n, locals_=[(1, I32)])


@shape(400, quick=40, expect="runs")
def wide_br_if(n):
    """n blocks of WIDE results, each left early by a br_if carrying them."""
    one = b"\x02" + s(1) + call(1) + lget(0) + b"\x0d\x00" + END + SINK
    return wide_module(one * n, locals_=[(1, I32)])


@shape(400, quick=40, expect="runs")
def wide_loop_params(n):
    """n loops of WIDE parameters (type 2), each branching back once."""
    one = (call(1) + b"\x03" + s(2) + lget(0) + b"\x45" + b"\x04" + s(2) +
           i32c(1) + lset(0) + b"\x0c\x01" + END + END + SINK + i32c(0) + lset(0))
    return wide_module(one * n, locals_=[(1, I32)])


@shape(5000, quick=500, expect="runs")
def narrow_call_chain(n):
    """(call $take (call $give)) n times, 16 values each: the widest group
    that still goes through registers, stack arguments and phis."""
    give_t = functype([], [I64] * 16)
    take_t = functype([I64] * 16, [])
    give = body(b"".join(b"\x42" + s(i) for i in range(16)))
    take = body(NOP)
    return module(types=VOID + [give_t, take_t], funcs=[0, 1, 2],
                  exports=[export_func("_start", 0)],
                  codes=[body((call(1) + call(2)) * n), give, take])


@shape(1000000, quick=100000, expect="runs")
def br_table_huge(n):
    """br_table with n labels (the limit), all to the enclosing block."""
    code = b"\x02\x40" + lget(0) + b"\x0e" + u(n) + u(0) * n + u(0) + END
    return start_module(code, locals_=[(1, I32)])


@shape(2000000, quick=20000, expect="runs")
def deep_blocks(n):
    """n nested empty blocks, a br from the innermost to the outermost."""
    code = b"\x02\x40" * n + b"\x0c" + u(n - 1) + END * n
    return start_module(code)


@shape(100000, quick=5000, expect="runs")
def deep_blocks_branched(n):
    """n nested (block (br_if 0 (local.get 0)) ...): every frame a branch target."""
    code = (b"\x02\x40" + lget(0) + b"\x0d\x00") * n + END * n
    return start_module(code, locals_=[(1, I32)])


@shape(100000, quick=5000, expect="runs")
def deep_loops_if(n):
    """n nested loop/if/else, alternating, with results."""
    code = b""
    for i in range(n):
        code += b"\x03\x7f" if i % 2 else (lget(0) + b"\x04\x7f")
    code += i32c(1)
    for i in reversed(range(n)):
        code += END if i % 2 else (b"\x05" + i32c(2) + END)
    return start_module(code + DROP, locals_=[(1, I32)])


@shape(100000, quick=0, expect="trap:call stack exhausted")
def call_indirect_recursion(n):
    """_start calls itself through call_indirect forever: stack exhaustion trap."""
    code = i32c(0) + b"\x11" + u(0) + u(0)
    return start_module(code, tables=[bytes([FUNCREF, 0, 1])],
                        elems=[b"\x00" + i32c(0) + END + vec([u(0)])])


@shape(65536, quick=1024, expect="runs")
def memory_grow_to_max(n):
    """memory.grow by 1 page until it fails (max n pages), then touch the last byte."""
    code = (b"\x03\x40" + i32c(1) + b"\x40\x00" + i32c(-1) + b"\x47" + b"\x0d\x00" + END +
            b"\x3f\x00" + i32c(16) + b"\x74" + i32c(1) + b"\x6b" + i32c(7) + b"\x3a\x00\x00")
    return start_module(code, mems=[b"\x01\x00" + u(n)])


@shape(0, quick=0, expect="runs")
def table_max_u32(n):
    """A table of max 2^32-1; table.grow by 2^31 then by 1 repeatedly, then
    table.size must be sane."""
    code = (b"\xd0\x70" + i32c(0x7fffffff) + b"\xfc\x0f\x00" + DROP +
            b"\x03\x40" + b"\xd0\x70" + i32c(100000) + b"\xfc\x0f\x00" + i32c(-1) + b"\x47" + b"\x0d\x00" + END +
            b"\xfc\x10\x00" + i32c(10000000) + b"\x4b" + b"\x04\x40" + UNREACH + END)
    return start_module(code, tables=[bytes([FUNCREF, 1]) + u(0) + u(0xffffffff)])


@shape(0, quick=0, expect="trap:out of bounds memory access")
def memory64_near_top(n):
    """memory64: load at 2^64-1 with offset 2^64-1 (must trap, not wrap)."""
    code = b"\x42" + s(-1) + b"\x28\x02" + u(0xffffffffffffffff) + DROP
    return start_module(code, mems=[b"\x04\x01"])


@shape(100000, quick=5000, expect="runs")
def try_table_deep(n):
    """n nested try_table catch_all, a throw in the innermost caught by the outermost."""
    tag = b"\x00" + u(0)
    # (block (try_table (catch_all 0) ...)) n deep, throw innermost
    code = (b"\x02\x40" + b"\x1f\x40" + u(1) + b"\x02" + u(0)) * n + b"\x08" + u(0) + (END + END) * n
    return start_module(code, tags=[tag])


@shape(100000, quick=1000, expect="runs|trap:call stack exhausted")
def throw_through_frames(n):
    """f(k) recurses k deep then throws; _start catches: unwinding n frames."""
    t = functype([I32], [])
    f = body(lget(0) + b"\x45" + b"\x04\x40" + b"\x08" + u(0) + END +
             lget(0) + i32c(1) + b"\x6b" + call(1))
    start = b"\x02\x40" + b"\x1f\x40" + u(1) + b"\x02" + u(0) + i32c(n) + call(1) + END + END
    return module(types=VOID + [t], funcs=[0, 1], exports=[export_func("_start", 0)],
                  tags=[b"\x00" + u(0)], codes=[body(start), f])


@shape(0, quick=0, expect="trap:expected shared memory")
def atomics_misuse(n):
    """wait on unshared memory (traps), misaligned wait (traps)."""
    code = i32c(0) + i32c(0) + b"\x42\x00" + b"\xfe\x01\x02\x00" + DROP
    return start_module(code, mems=[b"\x00\x01"])


@shape(0, quick=0, expect="trap:unaligned atomic")
def atomics_wait_misaligned(n):
    code = i32c(1) + i32c(0) + b"\x42\x00" + b"\xfe\x01\x02\x00" + DROP
    return start_module(code, mems=[b"\x03\x01\x01"])


@shape(0, quick=0, expect="trap:out of bounds memory access")
def atomics_notify_huge(n):
    code = i32c(65532) + i32c(-1) + b"\xfe\x00\x02\x00" + DROP + \
        i32c(65533) + i32c(-1) + b"\xfe\x00\x02\x00" + DROP
    return start_module(code, mems=[b"\x03\x01\x01"])


@shape(100000, quick=200, expect="runs|unlinkable:could not reserve")
def many_memories(n):
    """n memories of one page (multi-memory): in guard mode each would
    reserve 8 GiB of address space, more than a process has for n = 100,000;
    _start stores into memory 255 (or the last)."""
    code = i32c(0) + i32c(7) + b"\x36\x42" + u(min(n - 1, 255)) + u(0)  # i32.store to the
    # last memory a load or store can name (kiln's limit: 255)
    return start_module(code, mems=[b"\x00\x01"] * n)


@shape(100000, quick=4, expect="runs|unlinkable:could not reserve")
def many_big_memories(n):
    """n memories of 65,536 pages (4 GiB) each: 400 TiB for n = 100,000,
    more address space than a process has, in either bounds mode."""
    code = i32c(0) + i32c(7) + b"\x36\x42" + u(min(n - 1, 255)) + u(0)
    return start_module(code, mems=[b"\x00" + u(65536)] * n)


@shape(100000, quick=100000, expect="runs", rss_mb=400)
def many_tables(n):
    """n funcref tables of 10,000 elements (a billion slots in all)."""
    code = b"\xd0\x70" + i32c(5) + b"\xfc\x0f" + u(n - 1) + DROP  # table.grow on the last
    return start_module(code, tables=[bytes([FUNCREF, 0]) + u(10000)] * n)


@shape(100000, quick=2000, expect="unlinkable:kiln initialises at most")
def initialised_tables(n):
    """n tables of 10,000 elements, each initialised to a function (3.0):
    unlike null tables, every element is written at instantiation."""
    table = b"\x40\x00" + bytes([FUNCREF, 0]) + u(10000) + b"\xd2\x00" + END  # (ref.func 0)
    return start_module(NOP, tables=[table] * n)


@shape(1000000, quick=20000, expect="runs")
def deep_const_expr(n):
    """A global initialised by an extended-const expression n adds long
    (pushed n deep, then folded), read by _start."""
    init = i32c(1) * n + I32ADD * (n - 1) + END
    code = b"\x23" + u(0) + DROP
    return start_module(code, globals_=[bytes([I32, 0]) + init])


@shape(100000, quick=1000, expect="runs|invalid:catch clauses")
def many_catches(n):
    """One try_table with n catch clauses for n tags, a throw of the last."""
    tags = [b"\x00" + u(0)] * n
    catches = vec([b"\x00" + u(i) + u(0) for i in range(n)])
    code = b"\x02\x40" + b"\x1f\x40" + catches + b"\x08" + u(n - 1) + END + END
    return start_module(code, tags=tags)


@shape(0, quick=0, expect="trap:out of bounds memory access")
def memory64_bulk_huge(n):
    """memory64: memory.fill and memory.copy of length 2^64-1 at 1, and a
    fill that wraps (dest 2^64-16, length 32): each must trap, none wrap."""
    code = (b"\x42" + s(1) + i32c(0) + b"\x42" + s(-1) + b"\xfc\x0b\x00")  # fill
    return start_module(code, mems=[b"\x04\x01"])


@shape(0, quick=0, expect="trap:out of bounds memory access")
def memory64_copy_wrap(n):
    code = (b"\x42" + s(-16) + b"\x42" + s(0) + b"\x42" + s(32) + b"\xfc\x0a\x00\x00")  # copy
    return start_module(code, mems=[b"\x04\x01"])


# --- invalid ------------------------------------------------------------------


@shape(0, quick=0, expect="invalid:data segments")
def datacount_2g(n):
    """A data count of 2^31 in a tiny file, one data segment."""
    return start_module(NOP, mems=[b"\x00\x01"], datacount=1 << 31,
                        datas=[b"\x00" + i32c(0) + END + name(b"x")])


@shape(0, quick=0, expect="invalid:unexpected end")
def data_count_lies(n):
    """The data section claims 2^31 segments in 10 bytes."""
    m = start_module(NOP, mems=[b"\x00\x01"])
    return m + section(11, u(1 << 31) + b"\x00" + i32c(0) + END + name(b"x"))


@shape(0, quick=0, expect="runs")
def name_section_huge_counts(n):
    """A name section whose function-name map claims 2^32-1 entries, and a
    local-name map for function 2^32-1 with 2^32-1 locals."""
    sub1 = u(0xffffffff) + u(0) + name("f")
    sub2 = u(1) + u(0xffffffff) + u(0xffffffff) + u(0) + name("x")
    payload = name("name") + b"\x01" + u(len(sub1)) + sub1 + b"\x02" + u(len(sub2)) + sub2
    return start_module(NOP, customs=[payload])


@shape(0, quick=0, expect="runs")
def name_section_garbage(n):
    """Name subsections out of order, repeated, with a bad UTF-8 name and a length past the end."""
    sub1 = u(1) + u(0) + name(b"\xff\xfe")
    sub2 = u(1) + u(0) + name("ok")
    payload = name("name") + b"\x01" + u(len(sub1)) + sub1 + b"\x00" + u(len(sub2)) + sub2 + \
        b"\x01" + u(100) + sub2
    return start_module(NOP, customs=[payload])


@shape(0, quick=0, expect="invalid:too many locals")
def locals_count_overflow(n):
    """Two local declarations whose counts sum past 2^32."""
    return start_module(NOP, locals_=[(0xffffffff, I32), (2, I32)])


def padded_module(width):
    """A module exercising many LEB fields with every unsigned LEB128 padded
    to `width` bytes (5 is the most a u32 may take)."""
    global WIDTH
    WIDTH = width
    try:
        return padded_module_bytes()
    finally:
        WIDTH = 0


def padded_module_bytes():
    t1 = functype([I32, I64], [I32])
    code = i32c(0) + b"\x28\x02" + u(0) + DROP + b"\x02\x40" + lget(0) + b"\x0d" + u(0) + END + \
        i32c(1) + b"\x42\x02" + call(1) + DROP + b"\x23" + u(0) + DROP
    f1 = lget(0)
    return module(types=VOID + [t1], funcs=[0, 1], mems=[b"\x01" + u(1) + u(2)],
                  tables=[bytes([FUNCREF, 0]) + u(2)],
                  globals_=[bytes([I32, 0]) + i32c(5) + END],
                  exports=[export_func("_start", 0)], elems=[b"\x00" + i32c(0) + END + vec([u(1)])],
                  datacount=1, codes=[body(code, [(1, I32), (2, I64)]), body(f1)],
                  datas=[b"\x00" + i32c(0) + END + name(b"hi")])


@shape(0, quick=0, expect="runs")
def leb_padded_5(n):
    """Every unsigned LEB128 in the module 5 bytes long: valid."""
    return padded_module(5)


@shape(0, quick=0, expect="invalid:integer representation too long")
def leb_padded_6(n):
    """Every unsigned LEB128 6 bytes long: malformed at the first one."""
    return padded_module(6)


def main():
    if sys.argv[1:] == ["--list"]:
        for k, (f, default, quick, expect, rss_mb) in SHAPES.items():
            print(k, default, quick, expect, rss_mb or 0, sep="\t")
        return
    shape_name, out = sys.argv[1], sys.argv[2]
    f, default = SHAPES[shape_name][:2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else default
    data = f(n)
    with open(out, "wb") as fh:
        fh.write(data)


if __name__ == "__main__":
    main()
