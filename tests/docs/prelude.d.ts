// What the guides' snippets leave to the reader; each snippet is compiled as it is written
// (extracted by docs.test.mjs), with only these declarations added.
declare function handle(event: import('digivault-webhooks').DigiVaultEvent): void;
// Deno's runtime global, as much as the Deno snippet uses.
declare const Deno: { env: { get(name: string): string | undefined } };
// "body: the raw bytes received; headers: the request's headers" (receiver.md's origin snippet).
declare const body: Uint8Array;
declare const headers: Record<string, string | string[] | undefined>;
