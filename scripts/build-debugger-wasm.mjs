// Builds the debugger page's wasm: the package's browser build plus the `debugger` cargo
// feature (diagnose, raw request parsing), which the npm package does not ship.
// Written to target/debugger/web/; scripts/build-www.sh copies it into www/pkg/.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildWasm, root } from './wasm.mjs';

const out = join(root, 'target', 'debugger', 'web');
rmSync(out, { recursive: true, force: true });
buildWasm({ features: 'debugger', targetDir: join(root, 'target', 'debugger'), outDirs: { web: out } });
