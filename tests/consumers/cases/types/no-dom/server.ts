// A Node project without the DOM lib (lib ES2022 and @types/node only): the declarations
// must not name DOM-only types (BufferSource, the WebAssembly namespace).
import { init, useBindings, verifyRequest, Webhook, type Payload } from 'digivault-webhooks';
import wasmUrl from 'digivault-webhooks/wasm';

export async function ready(): Promise<void> {
  await init();
  await init(wasmUrl);
  await init(new Uint8Array(8));
}
export const webhook = new Webhook('whsec');
export const payload: Payload = Buffer.from('{}');
export const receive = (request: Request) => verifyRequest(request, webhook);
void useBindings;
