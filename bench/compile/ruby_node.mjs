// ruby_node.mjs MODULE.wasm [ARGS...] - runs a WASI command under node's
// built-in WASI, as `kiln run --trap-unknown-imports` would: every
// function import WASI does not provide throws when called, naming it.
// The program gets RUBY_EVAL from node's environment, and nothing else
// (bench/compile/ruby_command.py's driver reads it).  Exit status: the
// program's (proc_exit ends node at once: with returnOnExit, node 20
// crashed with SIGSEGV after CRuby's exit!), 134 if it traps.
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";

const [path, ...args] = process.argv.slice(2);
const env = {};
if (process.env.RUBY_EVAL !== undefined) env.RUBY_EVAL = process.env.RUBY_EVAL;
const wasi = new WASI({ version: "preview1", args: [path, ...args], env, returnOnExit: false });
const module = await WebAssembly.compile(await readFile(path));
const imports = { wasi_snapshot_preview1: wasi.wasiImport };
for (const imp of WebAssembly.Module.imports(module)) {
  if (imp.kind !== "function" || (imports[imp.module] && imp.name in imports[imp.module])) continue;
  imports[imp.module] ??= {};
  imports[imp.module][imp.name] = () => {
    throw new Error(`unknown import "${imp.module}"."${imp.name}" called`);
  };
}
const instance = await WebAssembly.instantiate(module, imports);
try {
  process.exitCode = wasi.start(instance);
} catch (e) {
  console.error(`node: trap: ${e.message}`);
  process.exitCode = 134;
}
