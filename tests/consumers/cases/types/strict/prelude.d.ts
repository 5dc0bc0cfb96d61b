// What the package README's snippets leave to the reader; each snippet is compiled as it is
// written there (extracted by matrix.test.mjs next to app.ts), with only these declarations added.
declare function handle(event: import('digivault-webhooks').DigiVaultEvent): void;
// Deno's runtime global, as much as the Deno snippet uses.
declare const Deno: { env: { get(name: string): string | undefined } };
