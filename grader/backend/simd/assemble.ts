// Assembles kernels.wat into the bytes kernels-wasm.ts embeds (wabt is a
// development dependency: the grader loads the embedded bytes, so it needs
// no assembler and reads no file at run time). `npm run build:wasm` rewrites
// kernels-wasm.ts; test/simd.test.ts fails when the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
export const WAT_FILE = here('kernels.wat');
export const EMBED_FILE = here('kernels-wasm.ts');

export async function assemble(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(WAT_FILE, readFileSync(WAT_FILE, 'utf8'), { simd: true });
  try {
    mod.validate();
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}

export function embedSource(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = b64.match(/.{1,100}/g)!.map((l) => `  '${l}'`).join(' +\n');
  return `// Generated from kernels.wat by \`npm run build:wasm\` (assemble.ts): do not edit.\nexport const KERNELS_WASM_BASE64 =\n${lines};\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await assemble();
  writeFileSync(EMBED_FILE, embedSource(bytes));
  console.log(`${EMBED_FILE}: ${bytes.length} bytes of wasm`);
}
