// `import wasmUrl from 'digivault-webhooks/wasm'`: the package's .wasm as an asset, for
// bundlers that do not copy it next to web.js by themselves (docs/npm.md: Browsers and bundlers). What the
// import gives is the bundler's: a URL with esbuild's `file` loader, webpack's
// `asset/resource` or @rollup/plugin-url; pass it to `init()`.
declare const wasmUrl: string;
export default wasmUrl;
