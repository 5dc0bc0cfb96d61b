// The package's README (pkg/README.md, what npm shows) is the part of README.md's npm section
// between the `npm-readme` markers: one source for both. Its headings move up one level under
// the package's title, and the license is appended. Every link must be absolute or an anchor:
// the package has no repository to resolve a relative one against.
const START = '<!-- npm-readme:start -->';
const END = '<!-- npm-readme:end -->';

/** pkg/README.md from the text of README.md. */
export function packageReadme(readme) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md: the npm section must sit between ${START} and ${END}`);
  const section = readme
    .slice(start + START.length, end)
    .trim()
    .replace(/^#(#+) /gm, '$1 ');
  const relative = section.match(/\]\((?!https?:\/\/|#)[^)]*\)/);
  if (relative !== null) throw new Error(`README.md's npm section links to ${relative[0]}: use an absolute URL`);
  return [
    '# digivault-webhooks',
    section,
    '## License',
    'Licensed under either of the Apache License, Version 2.0 (`LICENSE-APACHE`) or the MIT license\n' +
      '(`LICENSE-MIT`), at your option. Changes are listed in `CHANGELOG.md`.',
  ].join('\n\n') + '\n';
}
