// run-node.mjs - run a wasm32-wasi command under node's WASI (preview1),
// for comparison with kiln in `make demo`:
//     node examples/run-node.mjs PROGRAM.wasm [ARGS...]
// The program gets its arguments, no environment and no directories;
// exits with the program's status.
import { readFile } from 'node:fs/promises';
import { argv, exit } from 'node:process';
import { WASI } from 'node:wasi';

const [file, ...rest] = argv.slice(2);
if (!file) {
    console.error('usage: node run-node.mjs PROGRAM.wasm [ARGS...]');
    exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [file, ...rest], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance) ?? 0);
