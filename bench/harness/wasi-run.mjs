// wasi-run.mjs - run a wasm32-wasi command module under node's WASI (V8).
//
//   node wasi-run.mjs MODULE.wasm [ARGS...]
//
// The guest sees argv = [MODULE.wasm, ARGS...], an empty environment and no
// preopened directories (the benchmark kernels need none).  The exit status
// is the guest's.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [path, ...args] = process.argv.slice(2);
if (!path) {
  console.error('usage: node wasi-run.mjs MODULE.wasm [ARGS...]');
  process.exit(64);
}
const wasi = new WASI({ version: 'preview1', args: [path, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(path));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
