// The package's README (pkg/README.md, what npm shows) is the part of the npm guide, docs/npm.md,
// between the `npm-readme` markers: one source for both. It goes under the package's title as it
// is (its headings are already `##`), and the license is appended. Every link must be absolute or
// an anchor: the package has no repository to resolve a relative one against.
const START = '<!-- npm-readme:start -->';
const END = '<!-- npm-readme:end -->';

/** Where the npm guide lives, relative to the repository's root. */
export const NPM_GUIDE = 'docs/npm.md';

/** pkg/README.md from the text of the npm guide (docs/npm.md). */
export function packageReadme(readme) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${NPM_GUIDE}: the package README must sit between ${START} and ${END}`);
  const section = readme.slice(start + START.length, end).trim();
  const title = section.match(/^# /m);
  if (title !== null) throw new Error(`${NPM_GUIDE}'s package section has a level-1 heading: the package's title is added`);
  const relative = section.match(/\]\((?!https?:\/\/|#)[^)]*\)/);
  if (relative !== null) throw new Error(`${NPM_GUIDE}'s package section links to ${relative[0]}: use an absolute URL`);
  return [
    '# digivault-webhooks',
    section,
    '## License',
    'Licensed under either of the Apache License, Version 2.0 (`LICENSE-APACHE`) or the MIT license\n' +
      '(`LICENSE-MIT`), at your option. Changes are listed in `CHANGELOG.md`.',
  ].join('\n\n') + '\n';
}
